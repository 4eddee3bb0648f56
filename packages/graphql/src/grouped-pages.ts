import DataLoader from 'dataloader';
import { parsePage, toConnection, type Connection, type Cursor, type Page, type PageArgs } from './pagination.js';
import { isId } from './validation.js';

/** One group's page of rows, e.g. the first 10 active units of one agency, as a nested connection field asks for it. */
export interface GroupPageRequest<Options> {
  groupId: string;
  /** Plain JSON values (filters such as `includeInactive`): requests with equal options share a fetch. */
  options: Options;
  page: Page;
}

/**
 * A per-request loader of one page of rows for each of many groups (the units of each agency in a list of
 * agencies). A nested connection resolves once per parent, so fetching each page alone costs one statement per
 * parent; the requests asking for the same page with the same options (normally all of them, since they come from
 * one field of one query) share one `fetch` instead, which returns the page of every group at once (a windowed
 * query numbering each group's rows), and the rows are split back by `groupOf`. Like `rowsByGroup`, a group id
 * that is not a UUID has no rows and never reaches SQL.
 */
export function pagesByGroup<Row, Options>(
  fetch: (groupIds: readonly string[], options: Options, page: Page) => Promise<Row[]>,
  groupOf: (row: Row) => string,
) {
  const shapeOf = ({ options, page }: Omit<GroupPageRequest<Options>, 'groupId'>) => JSON.stringify([options, page.limit, page.after]);
  // PostgreSQL returns uuids in lower case; a client may have sent upper case.
  const keyOf = (request: GroupPageRequest<Options>) => JSON.stringify([request.groupId.toLowerCase(), shapeOf(request)]);

  return new DataLoader<GroupPageRequest<Options>, Row[], string>(
    async (requests) => {
      const shapes = new Map<string, GroupPageRequest<Options>[]>();
      for (const request of requests) {
        const shape = shapeOf(request);
        shapes.set(shape, [...(shapes.get(shape) ?? []), request]);
      }
      const pages = new Map<string, Row[]>(requests.map((request) => [keyOf(request), []]));
      await Promise.all(
        [...shapes.values()].map(async (sameShape) => {
          const { options, page } = sameShape[0]!;
          const groupIds = sameShape.map((request) => request.groupId).filter(isId);
          if (groupIds.length === 0) return;
          const rows = await fetch(groupIds, options, page);
          for (const row of rows) pages.get(keyOf({ groupId: groupOf(row), options, page }))?.push(row);
        }),
      );
      return requests.map((request) => pages.get(keyOf(request))!);
    },
    { cacheKeyFn: keyOf },
  );
}

/** One group's connection (one agency's units), fetched together with every other group's page of the request. */
export async function groupConnection<Row, Options>(
  loader: DataLoader<GroupPageRequest<Options>, Row[], string>,
  groupId: string,
  options: Options,
  args: PageArgs,
  cursorOf: (row: Row) => Cursor,
): Promise<Connection<Row>> {
  const page = parsePage(args);
  return toConnection(await loader.load({ groupId, options, page }), page, cursorOf);
}
