const assert = require('node:assert/strict');
const { mkdirSync, mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { dirname, join } = require('node:path');
const { after, describe, it } = require('node:test');
const { FlattenError, buildLibrary, flattenSource } = require('./flatten.cjs');

describe('flattenSource', () => {
  const dirs = [];
  after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  /** Writes the files of a fake library and returns the path of its root file. */
  const library = (files) => {
    const dir = mkdtempSync(join(tmpdir(), 'popup-flatten-'));
    dirs.push(dir);
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    return join(dir, 'popup.lua');
  };

  it('inlines includes relative to the including file, each file once', () => {
    const root = library({
      'popup.lua': '#!lua name=popup\n--- @include "functions/a"\n--- @include "functions/b"\n',
      'functions/a.lua': '--- @include "../includes/shared"\nA()\n',
      'functions/b.lua': '--- @include "../includes/shared"\nB()\n',
      'includes/shared.lua': 'local function shared() end\n',
    });
    const flat = flattenSource(root);
    assert.ok(flat.startsWith('#!lua name=popup\n'));
    assert.equal(flat.match(/local function shared/g).length, 1);
    assert.ok(flat.indexOf('local function shared') < flat.indexOf('A()'));
    assert.ok(flat.indexOf('A()') < flat.indexOf('B()'));
  });

  it('refuses a cycle, naming it', () => {
    const root = library({
      'popup.lua': '--- @include "a"\n',
      'a.lua': '--- @include "b"\n',
      'b.lua': '--- @include "a"\n',
    });
    assert.throws(() => flattenSource(root), new FlattenError('include cycle: popup.lua -> a.lua -> b.lua -> a.lua'));
  });

  it('refuses a file that includes itself', () => {
    const root = library({ 'popup.lua': '--- @include "a"\n', 'a.lua': '--- @include "a"\n' });
    assert.throws(() => flattenSource(root), /include cycle: popup.lua -> a.lua -> a.lua/);
  });

  it('refuses the same include twice in one file, and a missing file', () => {
    const twice = library({ 'popup.lua': '--- @include "a"\n--- @include "a"\n', 'a.lua': 'x()\n' });
    assert.throws(() => flattenSource(twice), /popup.lua includes a.lua twice/);
    const missing = library({ 'popup.lua': '--- @include "nope"\n' });
    assert.throws(() => flattenSource(missing), /popup.lua includes nope.lua, which does not exist/);
  });
});

describe('buildLibrary', () => {
  it('stamps a version that is a function of the source', () => {
    const first = buildLibrary();
    assert.match(first.version, /^[0-9a-f]{16}$/);
    assert.ok(first.source.includes(`local VERSION = '${first.version}'`));
    assert.deepEqual(buildLibrary(), first);
  });
});
