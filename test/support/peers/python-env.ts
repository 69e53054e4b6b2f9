import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Pinned peer versions: what the tests prove the adapters against. */
export const MLFLOW_VERSION = '3.17.2';

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
  if (installedVersion('mlflow') === MLFLOW_VERSION) return;
  const python = process.env.PYTHON ?? 'python3';
  const found = spawnSync(python, ['--version'], { encoding: 'utf8' });
  if (found.status !== 0) {
    throw new Error(`The MLflow tests need Python 3 (as '${python}', or set PYTHON) to run a real mlflow server; it was not found.`);
  }
  mkdirSync(peersDir, { recursive: true });
  if (!existsSync(venvBin('python'))) execFileSync(python, ['-m', 'venv', venvDir], { stdio: 'inherit' });
  console.log(`[peers] installing mlflow==${MLFLOW_VERSION} into ${venvDir} (once)`);
  try {
    execFileSync(venvBin('pip'), ['install', '--quiet', '--disable-pip-version-check', `mlflow==${MLFLOW_VERSION}`], { stdio: 'inherit' });
  } catch (error) {
    throw new Error(`Installing mlflow==${MLFLOW_VERSION} from PyPI failed; the MLflow tests cannot run without it: ${(error as Error).message}`);
  }
  if (installedVersion('mlflow') !== MLFLOW_VERSION) throw new Error(`mlflow ${MLFLOW_VERSION} is not importable after installing it`);
}
