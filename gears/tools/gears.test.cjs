const assert = require('node:assert/strict');
const { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { describe, it } = require('node:test');
const { buildLibrary, renderModule, SOURCE_DIR } = require('./flatten.cjs');
const { GENERATED_MODULE, headerProblems } = require('./gears.cjs');

describe('the generated module in gears-client', () => {
  it('is the current library (else: npx nx build gears)', () => {
    assert.equal(readFileSync(GENERATED_MODULE, 'utf8'), renderModule(buildLibrary()));
  });
});

describe('headerProblems', () => {
  it('finds none in gears/src', () => {
    assert.deepEqual(headerProblems(), []);
  });

  it('finds undocumented keys, a missing flag and an error code without a TypeScript member', () => {
    const dir = mkdtempSync(join(tmpdir(), 'popup-headers-'));
    try {
      cpSync(SOURCE_DIR, dir, { recursive: true });
      const file = join(dir, 'functions/sale_status.lua');
      writeFileSync(file, readFileSync(file, 'utf8').replace("flags = { 'no-writes' },", '').replace('keys[1]', 'keys[2]'));
      const problems = headerProblems(dir, "BadArgument = 'ERR_POPUP_BAD_ARG'");
      assert.deepEqual(problems.sort(), [
        'ERR_POPUP_NO_SALE has no member in GearsErrorCode',
        'ERR_POPUP_SALE_STARTED has no member in GearsErrorCode',
        'functions/sale_status.lua: "Read-only (no-writes)." and the no-writes flag go together',
        'functions/sale_status.lua: KEYS[1] is in the header but keys[1] is never read',
        'functions/sale_status.lua: keys[2] is used but KEYS[2] is not in the header',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
