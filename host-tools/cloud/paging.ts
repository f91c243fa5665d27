/**
 * List paging for v1 (the `meta` envelope) and 2010 (the flat envelope with `next_page_uri` …).
 *
 * Records are listed newest first by an integer `seq` column (the table's INTEGER PRIMARY KEY or any
 * increasing column). `PageToken` is opaque to clients: "PA<seq>" = the page after the record `seq`
 * (older records), "PB<seq>" = the page before it (newer). `Page` is "simply for client state" as the
 * spec says; without a token, `Page=N` skips N pages (offset). Every link is absolute on the mock.
 *
 * Use:
 *   const pr = readPaging(req.query);                       // 400/20001 on bad PageSize/Page/PageToken
 *   const page = fetchPage(db, {table: "ip_commands", where: "account_sid = ?", args: [sid]}, pr);
 *   reply.send(v1Envelope({key: "ip_commands", url: `${base}/v1/IpCommands`, filters: [["Status","sent"]], pr, page,
 *                          items: page.rows.map(toJson)}));
 */
import type { Database } from "better-sqlite3";
import { badParam } from "./errors.js";
import type { RawParams } from "./form.js";

export const PAGING_PARAMS = ["PageSize", "Page", "PageToken"] as const;

export interface PageRequest {
  pageSize: number;
  page: number;
  pageToken: string | null;
}

export interface PageResult<Row> {
  rows: Row[];
  /** Token of the next (older) page, or null at the end. */
  next: string | null;
  /** Token of the previous (newer) page, or null on the first page. */
  previous: string | null;
}

function one(q: RawParams, k: string): string | undefined {
  const v = q[k];
  if (Array.isArray(v)) throw badParam(`Parameter ${k} was given more than once`);
  return v === "" ? undefined : v;
}

/** Reads PageSize (1..1000, default 50), Page (≥ 0, default 0) and PageToken from a query. */
export function readPaging(query: unknown): PageRequest {
  const q = (query ?? {}) as RawParams;
  const ps = one(q, "PageSize");
  const p = one(q, "Page");
  const t = one(q, "PageToken") ?? null;
  if (ps !== undefined && !/^\d{1,7}$/.test(ps)) throw badParam(`Parameter PageSize must be an integer, got '${ps}'`);
  if (p !== undefined && !/^\d{1,9}$/.test(p)) throw badParam(`Parameter Page must be a non-negative integer, got '${p}'`);
  const pageSize = ps === undefined ? 50 : Number(ps);
  if (pageSize < 1 || pageSize > 1000) throw badParam("Parameter PageSize must be between 1 and 1000");
  if (t !== null && !/^P[AB]\d{1,15}$/.test(t)) throw badParam(`Invalid PageToken '${t}'`);
  return { pageSize, page: p === undefined ? 0 : Number(p), pageToken: t };
}

export interface PageQuery {
  table: string;
  /** SQL condition without WHERE (use "1" for none) and its positional args. */
  where: string;
  args: unknown[];
  /** The increasing integer column to order by. Default "seq". */
  seq?: string;
}

/** One page of rows, newest first, with the tokens of its neighbours. */
export function fetchPage<Row extends Record<string, unknown>>(db: Database, q: PageQuery, pr: PageRequest): PageResult<Row> {
  const seq = q.seq ?? "seq";
  const n = pr.pageSize;
  let rows: Row[];
  let more: boolean;
  if (pr.pageToken?.startsWith("PB")) {
    const at = Number(pr.pageToken.slice(2));
    const got = db.prepare(`SELECT * FROM ${q.table} WHERE (${q.where}) AND ${seq} > ? ORDER BY ${seq} ASC LIMIT ?`).all(...q.args, at, n + 1) as Row[];
    const hasNewer = got.length > n;
    rows = got.slice(0, n).reverse();
    more = true; // we came from an older page
    const first = rows[0];
    return {
      rows,
      next: rows.length > 0 && more ? `PA${String(rows[rows.length - 1]?.[seq])}` : null,
      previous: hasNewer && first ? `PB${String(first[seq])}` : null,
    };
  }
  if (pr.pageToken?.startsWith("PA")) {
    const at = Number(pr.pageToken.slice(2));
    rows = db.prepare(`SELECT * FROM ${q.table} WHERE (${q.where}) AND ${seq} < ? ORDER BY ${seq} DESC LIMIT ?`).all(...q.args, at, n + 1) as Row[];
  } else {
    rows = db.prepare(`SELECT * FROM ${q.table} WHERE (${q.where}) ORDER BY ${seq} DESC LIMIT ? OFFSET ?`).all(...q.args, n + 1, pr.page * n) as Row[];
  }
  more = rows.length > n;
  rows = rows.slice(0, n);
  const first = rows[0];
  const last = rows[rows.length - 1];
  const isFirst = pr.pageToken === null && pr.page === 0;
  return {
    rows,
    next: more && last ? `PA${String(last[seq])}` : null,
    previous: !isFirst && first ? `PB${String(first[seq])}` : null,
  };
}

function link(url: string, filters: [string, string][], pageSize: number, page: number, token: string | null): string {
  const sp = new URLSearchParams();
  for (const [k, v] of filters) sp.append(k, v);
  sp.set("PageSize", String(pageSize));
  sp.set("Page", String(page));
  if (token !== null) sp.set("PageToken", token);
  return `${url}?${sp.toString()}`;
}

export interface EnvelopeInput<T> {
  /** The list key: "ip_commands", "sims", "commands", … */
  key: string;
  /** Absolute list URL without query, e.g. `${baseUrl(req, "supersim")}/v1/IpCommands`. */
  url: string;
  /** Filters to echo into the links, in order. */
  filters: [string, string][];
  pr: PageRequest;
  page: PageResult<Record<string, unknown>>;
  items: T[];
}

/** v1: `{<key>: [...], meta: {first_page_url, key, next_page_url, page, page_size, previous_page_url, url}}`. */
export function v1Envelope<T>(e: EnvelopeInput<T>): Record<string, unknown> {
  const { pr } = e;
  return {
    [e.key]: e.items,
    meta: {
      first_page_url: link(e.url, e.filters, pr.pageSize, 0, null),
      key: e.key,
      next_page_url: e.page.next === null ? null : link(e.url, e.filters, pr.pageSize, pr.page + 1, e.page.next),
      page: pr.page,
      page_size: pr.pageSize,
      previous_page_url: e.page.previous === null ? null : link(e.url, e.filters, pr.pageSize, Math.max(0, pr.page - 1), e.page.previous),
      url: link(e.url, e.filters, pr.pageSize, pr.page, pr.pageToken),
    },
  };
}

/**
 * 2010: `{<key>: [...], start, end, page, page_size, first_page_uri, next_page_uri, previous_page_uri, uri}`;
 * `url` here is the path relative to the API origin (`/2010-04-01/Accounts/AC…/SIP/Domains.json`), as the
 * 2010 API gives it (twilio-node prefixes next_page_uri with its domain base, which the client rewrites).
 */
export function legacyEnvelope<T>(e: EnvelopeInput<T>): Record<string, unknown> {
  const { pr } = e;
  const start = pr.page * pr.pageSize;
  return {
    [e.key]: e.items,
    start,
    end: e.items.length === 0 ? start : start + e.items.length - 1,
    page: pr.page,
    page_size: pr.pageSize,
    first_page_uri: link(e.url, e.filters, pr.pageSize, 0, null),
    next_page_uri: e.page.next === null ? null : link(e.url, e.filters, pr.pageSize, pr.page + 1, e.page.next),
    previous_page_uri: e.page.previous === null ? null : link(e.url, e.filters, pr.pageSize, Math.max(0, pr.page - 1), e.page.previous),
    uri: link(e.url, e.filters, pr.pageSize, pr.page, pr.pageToken),
  };
}

/**
 * A list route's filters: the SQL condition with its arguments, and the query parameters the paging
 * links repeat (`params`, for the envelope's `filters`). Only filters present in the query count.
 */
export class ListFilter {
  readonly conds: string[] = [];
  readonly args: unknown[] = [];
  readonly params: [string, string][] = [];

  /** Starts with a condition that is always there (e.g. `account_sid = ?`), not a query filter. */
  constructor(cond?: string, ...args: unknown[]) {
    if (cond !== undefined) {
      this.conds.push(cond);
      this.args.push(...args);
    }
  }

  /** `column = ?` when the query has `param`; `resolve` maps the value to what SQL compares (default: itself). */
  eq(param: string, value: string | undefined, column: string, resolve?: (v: string) => unknown): this {
    return this.when(param, value, `${column} = ?`, (v) => [resolve === undefined ? v : resolve(v)]);
  }

  /** Any condition when the query has `param`; `args` gives its arguments from the value. */
  when(param: string, value: string | undefined, cond: string, args: (v: string) => unknown[]): this {
    if (value === undefined) return this;
    this.conds.push(cond);
    this.args.push(...args(value));
    this.params.push([param, value]);
    return this;
  }

  /** The SQL condition ("1" when there is none). */
  get where(): string {
    return this.conds.length > 0 ? this.conds.join(" AND ") : "1";
  }
}
