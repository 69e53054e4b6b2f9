import { registerEnumType } from '../type-graphql.ts';
import { ErrorCode, Stage, VersionOrder, VersionStatus } from '../../core/index.ts';

registerEnumType(Stage, { name: 'Stage', description: 'Unified lifecycle: NONE → STAGING → PRODUCTION → ARCHIVED' });
registerEnumType(VersionStatus, { name: 'VersionStatus' });
registerEnumType(VersionOrder, { name: 'VersionOrder' });
registerEnumType(ErrorCode, { name: 'ErrorCode', description: 'Values of extensions.code on every error' });

export { ErrorCode, Stage, VersionOrder, VersionStatus };
