// What the console's browser test (console.test.mjs) and the page-load
// benchmark (console_load.mjs) share: finding the system's chromium (or
// skipping with CTest's 77 when it is not installed) and the URL an oncepayd
// child prints once it listens.
import { execFileSync } from 'node:child_process';

export const SKIP = 77;

// The path of Debian's chromium; exits 77 (CTest's skip) when there is none.
export function chromiumOrSkip() {
  let found = '';
  try {
    found = execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  } catch {
    found = '';
  }
  if (!found) {
    console.log('SKIP: chromium is not installed (scripts/setup.sh installs it)');
    process.exit(SKIP);
  }
  return found;
}

// Resolves with the base URL of `child`'s "... listening on URL" stdout line;
// rejects when it exits first or prints none within `timeoutMs`. `more()`
// adds what the caller kept of the child's stderr to the error.
export function listeningUrl(child, timeoutMs, more = () => '') {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no listening line: ${out}${more()}`)), timeoutMs);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = out.match(/listening on (\S+)\n/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`oncepayd exited ${code}: ${out}${more()}`)));
  });
}
