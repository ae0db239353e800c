/** True when testcontainers finds a working container runtime (a Docker engine or compatible). */
export async function dockerEngineAvailable(): Promise<boolean> {
  try {
    // Loaded lazily: testcontainers pulls in a Docker client that runs with no REDIS_URL only.
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}
