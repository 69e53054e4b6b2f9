import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Pinned peer versions: what the tests prove the adapters against. */
export const MLFLOW_VERSION = '3.17.2';
export const MOTO_VERSION = '5.2.1';

const repoRoot = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
/** The project-local virtual environment for peers (git-ignored), reused while its pins hold. */
export const peersDir = process.env.MODELGATE_PEERS_DIR ?? join(repoRoot, '.peers');
export const venvDir = join(peersDir, 'venv');
export const venvBin = (tool: string) => join(venvDir, 'bin', tool);

function installedVersion(module: string): string | null {
  if (!existsSync(venvBin('python'))) return null;
  const probe = spawnSync(venvBin('python'), ['-c', `import ${module}; print(${module}.__version__)`], { encoding: 'utf8' });
  return probe.status === 0 ? probe.stdout.trim() : null;
}

/** Makes sure the venv holds the pinned MLflow; installs it from PyPI when it does not. Fails loudly. */
export function ensureMlflow(): void {
  ensurePackage('mlflow', 'mlflow', MLFLOW_VERSION);
}

/** moto_server, pinned, in the same venv. */
export function ensureMoto(): void {
  ensurePackage('moto', 'moto[server]', MOTO_VERSION);
}

function ensurePackage(module: string, requirement: string, version: string): void {
  if (installedVersion(module) === version) return;
  const python = process.env.PYTHON ?? 'python3';
  const found = spawnSync(python, ['--version'], { encoding: 'utf8' });
  if (found.status !== 0) {
    throw new Error(`The peer tests (MLflow, moto) need Python 3 (as '${python}', or set PYTHON) to run a real mlflow server; it was not found.`);
  }
  mkdirSync(peersDir, { recursive: true });
  if (!existsSync(venvBin('python'))) execFileSync(python, ['-m', 'venv', venvDir], { stdio: 'inherit' });
  console.log(`[peers] installing ${requirement}==${version} into ${venvDir} (once)`);
  try {
    execFileSync(venvBin('pip'), ['install', '--quiet', '--disable-pip-version-check', `${requirement}==${version}`], { stdio: 'inherit' });
  } catch (error) {
    throw new Error(`Installing ${requirement}==${version} from PyPI failed; the tests that need it cannot run: ${(error as Error).message}`);
  }
  if (installedVersion(module) !== version) throw new Error(`${module} ${version} is not importable after installing it`);
}
