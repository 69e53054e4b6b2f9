import type Database from 'better-sqlite3';

/** Ordered schema steps; `PRAGMA user_version` records how many have run. Never edit one that shipped. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE models (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL UNIQUE,
    description  TEXT,
    -- next version number to hand out; only ever grows, so deleted numbers are never reused
    next_version INTEGER NOT NULL DEFAULT 1,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    created_by   TEXT
  );

  CREATE TABLE versions (
    model_id    INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    stage       TEXT    NOT NULL DEFAULT 'NONE'
                CHECK (stage IN ('NONE', 'STAGING', 'PRODUCTION', 'ARCHIVED')),
    description TEXT,
    source      TEXT,
    run_id      TEXT,
    status      TEXT    NOT NULL DEFAULT 'READY',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    created_by  TEXT,
    PRIMARY KEY (model_id, version)
  ) WITHOUT ROWID;
  -- serves "versions of a model in a stage, newest first" and latest-per-stage
  CREATE INDEX versions_by_stage ON versions (model_id, stage, version);

  CREATE TABLE model_tags (
    model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
    key      TEXT    NOT NULL,
    value    TEXT    NOT NULL,
    PRIMARY KEY (model_id, key)
  ) WITHOUT ROWID;
  CREATE INDEX model_tags_by_key ON model_tags (key, value);

  CREATE TABLE version_tags (
    model_id INTEGER NOT NULL,
    version  INTEGER NOT NULL,
    key      TEXT    NOT NULL,
    value    TEXT    NOT NULL,
    PRIMARY KEY (model_id, version, key),
    FOREIGN KEY (model_id, version) REFERENCES versions (model_id, version) ON DELETE CASCADE
  ) WITHOUT ROWID;

  CREATE TABLE aliases (
    model_id INTEGER NOT NULL,
    alias    TEXT    NOT NULL,
    version  INTEGER NOT NULL,
    PRIMARY KEY (model_id, alias),
    FOREIGN KEY (model_id, version) REFERENCES versions (model_id, version) ON DELETE CASCADE
  ) WITHOUT ROWID;
  CREATE INDEX aliases_by_version ON aliases (model_id, version);

  CREATE TABLE metrics (
    model_id INTEGER NOT NULL,
    version  INTEGER NOT NULL,
    key      TEXT    NOT NULL,
    value    REAL    NOT NULL,
    PRIMARY KEY (model_id, version, key),
    FOREIGN KEY (model_id, version) REFERENCES versions (model_id, version) ON DELETE CASCADE
  ) WITHOUT ROWID;

  CREATE TABLE params (
    model_id INTEGER NOT NULL,
    version  INTEGER NOT NULL,
    key      TEXT    NOT NULL,
    value    TEXT    NOT NULL,
    PRIMARY KEY (model_id, version, key),
    FOREIGN KEY (model_id, version) REFERENCES versions (model_id, version) ON DELETE CASCADE
  ) WITHOUT ROWID;
  `,
  `
  -- semantic version and signature, assigned at registration
  ALTER TABLE versions ADD COLUMN semver TEXT;
  ALTER TABLE versions ADD COLUMN signature TEXT;
  `,
  `
  -- the model card as JSON entries (training.*, dependencies.*, deployment.*, lineage.*)
  ALTER TABLE versions ADD COLUMN card TEXT;
  `,
];

export function migrate(db: Database.Database): void {
  const applied = db.pragma('user_version', { simple: true }) as number;
  if (applied > MIGRATIONS.length) {
    throw new Error(`Registry database is at schema ${applied}, newer than this modelgate (${MIGRATIONS.length})`);
  }
  const pending = MIGRATIONS.slice(applied);
  if (pending.length === 0) return;
  db.transaction(() => {
    pending.forEach((sql, index) => {
      db.exec(sql);
      db.pragma(`user_version = ${applied + index + 1}`);
    });
  }).immediate();
}
