import { PROCESS_NAMES } from '@popup-store/service-runner';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// Nx reads which apps a target builds first from project.json, which cannot import PROCESSES: a process added to
// the list (an identity provider, say) must be built before npm start, the e2e specs and the chaos suite run it.
describe("the launcher's targets", () => {
  const project = JSON.parse(readFileSync(join(__dirname, '../project.json'), 'utf8')) as {
    targets: Record<string, { dependsOn?: ({ projects?: string[] } | string)[] }>;
  };

  it.each(['start', 'test', 'chaos'])('%s builds every process of the store and the crowd first', (target) => {
    const built = (project.targets[target]?.dependsOn ?? []).flatMap((dep) =>
      typeof dep === 'string' ? [] : (dep.projects ?? []),
    );
    expect([...built].sort()).toEqual([...PROCESS_NAMES, 'crowd'].sort());
  });
});
