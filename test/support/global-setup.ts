import type { TestProject } from 'vitest/node';
import { createTemplateDatabase, dropDatabase } from './databases.js';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
  }
}

/** Migrates one template database per run; every test file copies it (CREATE DATABASE … TEMPLATE is fast). */
export default async function setup(project: TestProject) {
  const template = await createTemplateDatabase();
  project.provide('templateDatabase', template);
  return async () => {
    await dropDatabase(template);
  };
}
