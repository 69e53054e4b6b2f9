import { vertexSubject } from '../support/vertex/vertex-client.ts';
import { defineWorkflowSuite } from './workflow-suite.ts';

defineWorkflowSuite('vertex (stand-in)', () => vertexSubject());
