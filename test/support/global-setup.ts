import type { TestProject } from 'vitest/node';
import { startMlflowServer, type MlflowServer } from './peers/mlflow-server.ts';
import { startMotoServer, type MotoServer } from './peers/moto-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    mlflowUrl: string;
    motoUrl: string;
  }
}

let mlflow: MlflowServer | undefined;
let moto: MotoServer | undefined;

/** Starts the peers every test file shares; a peer that cannot start fails the run. */
export async function setup(project: TestProject): Promise<void> {
  const [started, startedMoto] = await Promise.allSettled([startMlflowServer(), startMotoServer()]);
  mlflow = started.status === 'fulfilled' ? started.value : undefined;
  moto = startedMoto.status === 'fulfilled' ? startedMoto.value : undefined;
  // One peer failed: stop the other before failing the run, so no peer outlives it.
  if (started.status === 'rejected' || startedMoto.status === 'rejected') {
    await teardown();
    throw started.status === 'rejected' ? started.reason : (startedMoto as PromiseRejectedResult).reason;
  }
  project.provide('mlflowUrl', mlflow!.url);
  project.provide('motoUrl', moto!.url);
}

export async function teardown(): Promise<void> {
  await Promise.all([mlflow?.stop(), moto?.stop()]);
}
