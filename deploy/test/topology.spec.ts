import { SERVICES, serviceStreams, topologyMarkdown } from '@popup-store/keys';
import { Workspace } from '../src/workspace.ts';

// Which service reads and writes which stream is data in libs/keys (TOPOLOGY): deploy's docs repeat it for a reader
// of this folder alone, and must say what the code does.
const ws = new Workspace();

describe("deploy's docs of the stream topology", () => {
  it('README.md carries the table TOPOLOGY renders', () => {
    const table = /<!-- topology:start[^\n]*-->\n+([\s\S]*?)\n+<!-- topology:end -->/.exec(ws.read('deploy/README.md'))?.[1];
    // On a mismatch, the expected value is the table to paste into deploy/README.md.
    expect(table).toBe(topologyMarkdown());
  });

  it.each(SERVICES)("%s's Dockerfile says what the service reads and writes", (service) => {
    const line = ws
      .read(`deploy/docker/${service}.Dockerfile`)
      .split('\n')
      .find((candidate) => candidate.startsWith('# Streams'));
    expect(line).toBe(`# Streams (TOPOLOGY in libs/keys): ${serviceStreams(service)}.`);
  });
});
