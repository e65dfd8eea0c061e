// The rows behind the @cerbos/orm-prisma integration test: created with plain SQL in a fresh
// PostgreSQL schema (Prisma's migrations are not used), and the same rows as Cerbos resource
// attributes, so CheckResources can decide each row and the test can compare the rows a plan
// selects with the rows CheckResources allows.

import pg from "pg";
import type { JsonValue } from "../../../src/authz/policy/model.ts";

export interface LeaveRequestRow {
  readonly id: string;
  readonly owner: string;
  readonly status: string;
  readonly geography: string;
  readonly team: string;
  readonly teamId: string;
  readonly groupID: number;
  readonly GPA: number;
  readonly hiddenFromEmployee: boolean;
  readonly devRecord: boolean;
  readonly deleted: boolean;
  readonly hidden: boolean;
}

export interface DocumentRow {
  readonly id: string;
  readonly ownerId: string;
  readonly department: string;
  readonly status: string;
  readonly priority: number;
  readonly title: string;
  readonly public: boolean;
  readonly locked: boolean;
  /** RFC 3339, as the resource attribute carries it. */
  readonly createdAt: string;
  readonly tags: readonly string[];
}

/** A small deterministic generator (mulberry32), so every run sees the same rows. */
function generator(seed: number): <T>(values: readonly T[]) => T {
  let state = seed >>> 0;
  return <T>(values: readonly T[]): T => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const r = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return values[Math.floor(r * values.length)] as T;
  };
}

const bools = [true, false] as const;

export function leaveRequestRows(count: number): LeaveRequestRow[] {
  const pick = generator(7);
  return Array.from({ length: count }, (_, i) => ({
    id: `lr-${i}`,
    owner: pick(["harry", "maggie", "donald_duck", "mickey_mouse", "brian"]),
    status: pick(["PENDING_APPROVAL", "APPROVED", "DRAFT"]),
    geography: pick(["US", "CA", "UK"]),
    team: pick(["A", "B", "C"]),
    // Prefixes of `team1`/`team2` and strings that merely start like them.
    teamId: pick(["team1", "team2", "team", "t", "team12", "other"]),
    groupID: pick([41, 42]),
    GPA: pick([3.5, 4, 4.5, 4.7, 4.9]),
    hiddenFromEmployee: pick(bools),
    devRecord: pick(bools),
    deleted: pick(bools),
    hidden: pick(bools),
  }));
}

export function documentRows(count: number): DocumentRow[] {
  const pick = generator(11);
  return Array.from({ length: count }, (_, i) => ({
    id: `doc-${i}`,
    ownerId: pick(["alice", "bob", "rita"]),
    department: pick(["eng", "ops"]),
    status: pick(["draft", "submitted", "published"]),
    priority: pick([0, 1, 2, 3, 4, 5, 6]),
    // Titles that do and do not match the policy's string tests, including LIKE wildcards.
    title: pick([
      "Q3 plan",
      "q3 plan",
      "notes draft",
      "draft notes",
      "urgent fix",
      "50% off_",
      "Plan",
    ]),
    public: pick(bools),
    locked: pick(bools),
    // Either side of the policy's cut-off, and the cut-off itself.
    createdAt: pick([
      "2026-01-15T10:00:00Z",
      "2026-05-31T23:59:59.999Z",
      "2026-06-01T00:00:00Z",
      "2026-09-09T12:30:00Z",
    ]),
    tags: pick([[], ["eng"], ["ops"], ["eng", "ops"], ["legal"], ["legacy", "eng"]]),
  }));
}

/** The attributes a Cerbos request carries for a leave request row (attribute names as the policies spell them). */
export function leaveRequestAttr(row: LeaveRequestRow): Record<string, JsonValue> {
  return {
    owner: row.owner,
    status: row.status,
    geography: row.geography,
    team: row.team,
    teamId: row.teamId,
    groupID: row.groupID,
    GPA: row.GPA,
    hidden_from_employee: row.hiddenFromEmployee,
    dev_record: row.devRecord,
    deleted: row.deleted,
    hidden: row.hidden,
  };
}

export function documentAttr(row: DocumentRow): Record<string, JsonValue> {
  return {
    owner: row.ownerId,
    department: row.department,
    status: row.status,
    priority: row.priority,
    title: row.title,
    public: row.public,
    locked: row.locked,
    createdAt: row.createdAt,
    tags: [...row.tags],
  };
}

const ddl = (schema: string): string[] => [
  `create schema ${schema}`,
  `create table ${schema}.leave_requests (
     id text primary key, owner text not null, status text not null, geography text not null,
     team text not null, team_id text not null, group_id integer not null,
     gpa double precision not null, hidden_from_employee boolean not null,
     dev_record boolean not null, deleted boolean not null, hidden boolean not null)`,
  `create table ${schema}.documents (
     id text primary key, owner_id text not null, department text not null, status text not null,
     priority integer not null, title text not null, public boolean not null, locked boolean not null,
     created_at timestamptz(3) not null)`,
  `create table ${schema}.document_tags (
     document_id text not null references ${schema}.documents (id), name text not null,
     primary key (document_id, name))`,
];

/** Creates `schema` with the three tables and fills them. */
export async function createTables(
  url: string,
  schema: string,
  leaveRequests: readonly LeaveRequestRow[],
  documents: readonly DocumentRow[],
): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const statement of ddl(schema)) await client.query(statement);
    for (const r of leaveRequests)
      await client.query(
        `insert into ${schema}.leave_requests values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)`,
        [
          r.id,
          r.owner,
          r.status,
          r.geography,
          r.team,
          r.teamId,
          r.groupID,
          r.GPA,
          r.hiddenFromEmployee,
          r.devRecord,
          r.deleted,
          r.hidden,
        ],
      );
    for (const d of documents) {
      await client.query(`insert into ${schema}.documents values ($1,$2,$3,$4,$5,$6,$7,$8,$9)`, [
        d.id,
        d.ownerId,
        d.department,
        d.status,
        d.priority,
        d.title,
        d.public,
        d.locked,
        d.createdAt,
      ]);
      for (const tag of d.tags)
        await client.query(`insert into ${schema}.document_tags values ($1, $2)`, [d.id, tag]);
    }
  } finally {
    await client.end();
  }
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`drop schema if exists ${schema} cascade`);
  } finally {
    await client.end();
  }
}
