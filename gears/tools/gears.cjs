#!/usr/bin/env node
// The gears project's targets: `build`, `check-generated`, `check-headers`, `load-check` (see gears/README.md).
const { spawn } = require('node:child_process');
const { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { basename, join, relative, resolve } = require('node:path');
const { SOURCE_DIR, buildLibrary, renderModule } = require('./flatten.cjs');

const WORKSPACE = resolve(__dirname, '../..');
const DIST_FILE = join(WORKSPACE, 'dist/gears/popup.lua');
const GENERATED_MODULE = join(WORKSPACE, 'libs/gears-client/src/lib/generated/popup-library.ts');
const ERROR_ENUM = join(WORKSPACE, 'libs/gears-client/src/lib/gears-error.ts');

function build() {
  const library = buildLibrary();
  mkdirSync(resolve(DIST_FILE, '..'), { recursive: true });
  writeFileSync(DIST_FILE, library.source);
  writeFileSync(GENERATED_MODULE, renderModule(library));
  console.log(`popup library ${library.version}: ${relative(WORKSPACE, DIST_FILE)}, ${relative(WORKSPACE, GENERATED_MODULE)}`);
}

/** The generated module is committed (webpack bundles it); this fails when gears/src changed without a build. */
function checkGenerated() {
  const expected = renderModule(buildLibrary());
  const actual = readFileSync(GENERATED_MODULE, 'utf8');
  if (actual !== expected) {
    throw new Error(`${relative(WORKSPACE, GENERATED_MODULE)} is stale: run npx nx build gears and commit it`);
  }
}

/** Problems in the headers of gears/src/functions/*.lua: the contract every function file states. */
function headerProblems(sourceDir = SOURCE_DIR, errorEnumText = readFileSync(ERROR_ENUM, 'utf8')) {
  const problems = [];
  const definedCodes = new Set(
    [...readFileSync(join(sourceDir, 'includes/errors.lua'), 'utf8').matchAll(/'(ERR_POPUP_[A-Z_]+)'/g)].map((m) => m[1]),
  );
  for (const code of definedCodes) {
    if (!errorEnumText.includes(`'${code}'`)) problems.push(`${code} has no member in GearsErrorCode`);
  }
  const functionsDir = join(sourceDir, 'functions');
  for (const file of readdirSync(functionsDir).filter((f) => f.endsWith('.lua'))) {
    const text = readFileSync(join(functionsDir, file), 'utf8');
    const name = `popup_${basename(file, '.lua')}`;
    const say = (problem) => problems.push(`functions/${file}: ${problem}`);
    const header = text.match(/^(?:--.*\n)+/)?.[0] ?? '';
    const code = text.slice(header.length).replace(/--.*$/gm, '');
    if (!header.startsWith(`-- ${name}: `)) say(`header must start with "-- ${name}: <what it does>"`);
    if (!new RegExp(`(function_name = |register_function\\()'${name}'`).test(code)) say(`must register ${name}`);
    for (const part of ['Returns:', 'Errors:']) if (!header.includes(`-- ${part}`)) say(`header lacks "${part}"`);
    const readOnly = header.includes('Read-only (no-writes).');
    if (readOnly !== /flags = \{ 'no-writes' \}/.test(code)) say('"Read-only (no-writes)." and the no-writes flag go together');
    for (const [used, documented] of [['keys', 'KEYS'], ['args', 'ARGV']]) {
      const inCode = new Set([...code.matchAll(new RegExp(`\\b${used}\\[(\\d+)\\]`, 'g'))].map((m) => m[1]));
      const inHeader = new Set([...header.matchAll(new RegExp(`\\b${documented}\\[(\\d+)[\\] ]`, 'g'))].map((m) => m[1]));
      for (const i of inCode) if (!inHeader.has(i)) say(`${used}[${i}] is used but ${documented}[${i}] is not in the header`);
      for (const i of inHeader) if (!inCode.has(i)) say(`${documented}[${i}] is in the header but ${used}[${i}] is never read`);
      if (inHeader.size === 0 && !header.includes(`-- ${documented}`)) say(`header must list ${documented} (or "${documented}: none.")`);
    }
    for (const [, errorCode] of header.matchAll(/\b(ERR_POPUP_[A-Z_]+)/g)) {
      if (!definedCodes.has(errorCode)) say(`${errorCode} is not defined in includes/errors.lua`);
    }
  }
  return problems;
}

function checkHeaders() {
  const problems = headerProblems();
  if (problems.length > 0) throw new Error(`gears headers:\n  ${problems.join('\n  ')}`);
  console.log('gears headers match the code and GearsErrorCode');
}

/** Loads the flattened library into a private redis-server (on a unix socket: no port to collide on). */
async function loadCheck(source = buildLibrary().source) {
  const { Redis } = require('ioredis');
  const dir = mkdtempSync(join(tmpdir(), 'popup-gears-'));
  const socket = join(dir, 'redis.sock');
  const server = spawn(
    process.env['REDIS_SERVER_BIN'] ?? 'redis-server',
    ['--port', '0', '--unixsocket', socket, '--dir', dir, '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const exited = new Promise((resolve) => server.once('exit', resolve));
  const redis = new Redis({ path: socket, lazyConnect: true, maxRetriesPerRequest: 0 });
  redis.on('error', () => undefined);
  try {
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await redis.connect();
        break;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`redis-server did not start: ${error.message}`);
        await new Promise((done) => setTimeout(done, 20));
      }
    }
    await redis.call('FUNCTION', 'LOAD', source);
    const [library] = await redis.call('FUNCTION', 'LIST', 'LIBRARYNAME', 'popup');
    const functions = library[library.indexOf('functions') + 1].map((f) => f[f.indexOf('name') + 1]);
    return functions.sort();
  } finally {
    redis.disconnect();
    server.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

const commands = {
  build,
  'check-generated': checkGenerated,
  'check-headers': checkHeaders,
  'load-check': async () => console.log(`popup library loads: ${(await loadCheck()).join(', ')}`),
};

if (require.main === module) {
  const command = commands[process.argv[2]];
  if (!command) {
    console.error(`usage: gears.cjs ${Object.keys(commands).join('|')}`);
    process.exit(2);
  }
  Promise.resolve()
    .then(command)
    .catch((error) => {
      console.error(error.message);
      process.exit(1);
    });
}

module.exports = { headerProblems, loadCheck, GENERATED_MODULE };
