import { ServerClock } from './server-clock';

describe('ServerClock', () => {
  it('follows the server, not the browser: a page clock 5 minutes behind counts down from the server', () => {
    let local = 1_000_000;
    const clock = new ServerClock(() => local);
    const server = local + 300_000;
    clock.observe(server - 40, local); // a reading 40 ms old when it arrived
    clock.observe(server + 10 - 3, local + 10); // fresher, 3 ms old
    local += 1_000;
    expect(clock.now()).toBe(server + 1_000 - 3);
  });

  it('knows nothing before the first reading', () => {
    expect(new ServerClock(() => 42).now()).toBe(42);
  });

  it('forgets readings older than its window, so a jump of the local clock does not stick', () => {
    const clock = new ServerClock(() => 0, 2);
    clock.observe(10_000, 0);
    clock.observe(5, 0);
    clock.observe(6, 0);
    expect(clock.offset()).toBe(6);
  });
});
