'use strict';
// Loads the Node-API binary built by `napi build --platform --release` (codec.<platform>.node).
// Only the platforms we build for are listed; a missing binary is reported with the build command.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

function platformTriple() {
  const { platform, arch } = process;
  if (platform === 'linux') {
    const report = typeof process.report?.getReport === 'function' ? process.report.getReport() : null;
    const glibc = report && report.header && report.header.glibcVersionRuntime;
    return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`;
  }
  if (platform === 'darwin') return `darwin-${arch}`;
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

const file = join(__dirname, `codec.${platformTriple()}.node`);
if (!existsSync(file)) {
  const err = new Error(`relaydesk codec binary ${file} is missing; run \`npm run build:native\``);
  err.code = 'E_CODEC_NOT_BUILT';
  throw err;
}
module.exports = require(file);
