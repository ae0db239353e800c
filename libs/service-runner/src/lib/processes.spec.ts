import { SERVICES } from '@popup-store/keys';
import { isStreamService, PROCESSES, processEntry } from './processes';

describe('the processes of the store', () => {
  it('run every stream service of the topology, each once', () => {
    const names = PROCESSES.map((entry) => entry.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter(isStreamService)).toEqual([...SERVICES]);
  });

  it('give each port its own variable and role', () => {
    const roles = PROCESSES.flatMap((entry) =>
      Object.values(entry.listens ?? {}).map((role) => `${entry.name} ${role}`),
    );
    expect(new Set(roles).size).toBe(roles.length);
    expect(processEntry('customer-intake')).toMatchObject({ listens: { PORT: 'http' }, readyPath: '/health/ready' });
  });

  it('refuse a process the store does not have', () => {
    expect(() => processEntry('nope')).toThrow(/no process nope; the store runs identity-dev, customer-intake, /);
  });
});
