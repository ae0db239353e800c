import { parseClusterNodes } from './redis-cluster-process';

describe('parseClusterNodes', () => {
  it('reads roles, masters, failure flags and owned slots, not slots in migration', () => {
    const reply = [
      'a1 127.0.0.1:10001@20001 myself,master - 0 0 1 connected 0-5460 [5461->-b1]',
      'b1 127.0.0.1:10002@20002,node-b master,fail? - 0 0 2 connected 5461 5462-10922',
      'c1 127.0.0.1:10003@20003 slave a1 0 0 1 connected',
      'd1 127.0.0.1:10004@20004 master,fail - 0 0 3 disconnected',
    ].join('\n');
    expect(parseClusterNodes(reply)).toEqual([
      { id: 'a1', port: 10001, role: 'master', masterId: null, failed: false, slots: [[0, 5460]] },
      { id: 'b1', port: 10002, role: 'master', masterId: null, failed: true, slots: [[5461, 5461], [5462, 10922]] },
      { id: 'c1', port: 10003, role: 'replica', masterId: 'a1', failed: false, slots: [] },
      { id: 'd1', port: 10004, role: 'master', masterId: null, failed: true, slots: [] },
    ]);
  });
});
