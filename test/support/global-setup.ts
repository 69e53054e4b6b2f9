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
  [mlflow, moto] = await Promise.all([startMlflowServer(), startMotoServer()]);
  project.provide('mlflowUrl', mlflow.url);
  project.provide('motoUrl', moto.url);
}

export async function teardown(): Promise<void> {
  await Promise.all([mlflow?.stop(), moto?.stop()]);
}
