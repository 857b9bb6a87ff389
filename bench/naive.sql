-- SPDX-License-Identifier: GPL-3.0-or-later
-- naive.sql: floor (c) of bench/run.sh, the retention of every dossier
-- computed as one SQL query over the daemon's own database (schema of
-- src/store/schema.c: dates are INTEGER days since 1970-01-01).
--
--   sqlite3 retention.db < bench/naive.sql
--
-- Per patient:
--   last     = the latest effective end of an encounter,
--              max(coalesce(end_date, start_date))
--   general  = last + 20 years, or the 28th birthday when later
--   death    = death + 10 years, replacing general, when the patient died
--              less than 10 years after last
--   transf   = the latest transfusion + 30 years
--   retain_until = max(legal, transf); eligible when retain_until < today
-- Simplified against the engine (src/engine/, doc/engine.md), on purpose:
-- litigations are IGNORED (no suspension, no open-litigation hold), as are
-- holds, anomalies, open stays (an open stay counts as ending on its start
-- date), kind policies, and 29 February (SQLite's '+N years' gives 1 March,
-- the engine 28 February). Patients without an encounter are left out.
-- It reads exactly what a recompute must read (every encounter through the
-- encounters table, clustered by patient, every patient, every transfusion)
-- and evaluates every dossier; it writes nothing, like a full recompute of
-- dossiers that did not change. The counts let run.sh compare it with the
-- daemon's (they differ by the simplifications above).
-- "today" is pinned like the benchmark's daemon (RETENTIOND_TODAY); run.sh
-- replaces the date below when it runs with another.
WITH
  p(today) AS (SELECT unixepoch('2026-11-21') / 86400),
  enc AS (
    SELECT patient_id, max(coalesce(end_date, start_date)) AS last_end
    FROM encounters GROUP BY patient_id),
  tr AS (
    SELECT patient_id, max(act_date) AS last_act
    FROM transfusions GROUP BY patient_id),
  r AS (
    SELECT
      CASE
        WHEN pt.death_date IS NOT NULL
         AND pt.death_date <
             unixepoch(e.last_end * 86400, 'unixepoch', '+10 years') / 86400
        THEN unixepoch(pt.death_date * 86400, 'unixepoch', '+10 years') / 86400
        ELSE max(unixepoch(e.last_end * 86400, 'unixepoch', '+20 years') / 86400,
                 coalesce(unixepoch(pt.birth_date * 86400, 'unixepoch',
                                    '+28 years') / 86400, 0))
      END AS legal,
      unixepoch(t.last_act * 86400, 'unixepoch', '+30 years') / 86400 AS transf
    FROM patients pt
    JOIN enc e ON e.patient_id = pt.id
    LEFT JOIN tr t ON t.patient_id = pt.id)
SELECT count(*) AS dossiers,
       sum(max(legal, coalesce(transf, legal)) < (SELECT today FROM p))
         AS eligible,
       sum(max(legal, coalesce(transf, legal))) AS checksum
FROM r;
