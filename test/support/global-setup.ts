import type { TestProject } from 'vitest/node';
import { startMlflowServer, type MlflowServer } from './peers/mlflow-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    mlflowUrl: string;
  }
}

let mlflow: MlflowServer | undefined;

/** Starts the peers every test file shares; a peer that cannot start fails the run. */
export async function setup(project: TestProject): Promise<void> {
  mlflow = await startMlflowServer();
  project.provide('mlflowUrl', mlflow.url);
}

export async function teardown(): Promise<void> {
  await mlflow?.stop();
}
