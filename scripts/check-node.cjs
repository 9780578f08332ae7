// Runs before `npm start`, `npm test` and `npm run bench`. npm puts node_modules/.bin first on
// PATH for scripts, and `npm install` puts the dev dependency `node` there, so the scripts run on
// that Node whatever the system has. When they would run on an older one instead (the install
// skipped install scripts, or npm was never run), say so in one sentence rather than fail on
// TypeScript syntax. Written for any Node: nothing newer than what every release still in use parses.
const version = process.versions.node.split(".");
const major = Number(version[0]);
const minor = Number(version[1]);
if (major < 22 || (major === 22 && minor < 12)) {
  console.error(
    `Errand's scripts need Node.js 22.12 or newer and found ${process.version}: run \`npm install\` ` +
      "(it brings Node 24 as the dev dependency `node`; its install script must be allowed to run), " +
      "or install Node.js 22.12 or newer.",
  );
  process.exit(1);
}
