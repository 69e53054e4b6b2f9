import { Field, ObjectType, type ClassType } from '../type-graphql.ts';
import { endCursor, type Page } from '../../core/index.ts';

@ObjectType('PageInfo')
export class PageInfo {
  @Field(() => Boolean) hasNextPage!: boolean;
  @Field(() => Boolean, { description: 'Always false: lists page forward only' }) hasPreviousPage!: boolean;
  @Field(() => String, { nullable: true }) startCursor!: string | null;
  @Field(() => String, { nullable: true }) endCursor!: string | null;
}

export interface Connection<T> {
  edges: { node: T; cursor: string }[];
  nodes: T[];
  pageInfo: PageInfo;
}

/** A Relay connection type named `<Node>Connection` with `<Node>Edge` edges. */
export function connectionType<T extends object>(node: ClassType<T>, nodeName: string) {
  @ObjectType(`${nodeName}Edge`)
  class Edge {
    @Field(() => node) node!: T;
    @Field(() => String, { description: 'Pass as `after` to continue right after this edge' })
    cursor!: string;
  }

  @ObjectType(`${nodeName}Connection`)
  class ConnectionType {
    // Priced once per item by the field that takes `first`.
    @Field(() => [Edge], { complexity: 1 }) edges!: Edge[];
    @Field(() => [node], { complexity: 1, description: 'The nodes of edges, for clients that need no cursors' }) nodes!: T[];
    @Field(() => PageInfo) pageInfo!: PageInfo;
  }
  return ConnectionType;
}

export function toConnection<T>(page: Page<T>): Connection<T> {
  return {
    edges: page.items.map((node, i) => ({ node, cursor: page.cursors[i]! })),
    nodes: page.items,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: false,
      startCursor: page.cursors[0] ?? null,
      endCursor: endCursor(page),
    },
  };
}
