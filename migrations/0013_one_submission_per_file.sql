-- One submission per file, survey and district, held by the database: the upload's own lookup
-- (findSameSubmission) runs before the file is inspected, so uploads of the same file at the
-- same moment all passed it, and two of eight became submissions.
--
-- The submissions that count are those still standing: not 'failed' (the import refused the file:
-- send it again) and not 'superseded' (a newer package replaced it, or a resend of this file
-- replaced it after its check failed: see server/modules/ingest/submission-repository.ts).

-- Duplicates the race let in: the one furthest along stays (the earliest of those), the others
-- give way as superseded. An accepted or applied one is never touched.
WITH ranked AS (
  SELECT district_code, id,
         row_number() OVER (
           PARTITION BY survey_id, district_code, sha256
           ORDER BY CASE state WHEN 'applied' THEN 0 WHEN 'accepted' THEN 1 WHEN 'checked' THEN 2 WHEN 'rejected' THEN 3 ELSE 4 END, created_at, id
         ) AS k
    FROM submissions
   WHERE state NOT IN ('failed', 'superseded')
)
UPDATE submissions s SET state = 'superseded', updated_at = now()
  FROM ranked r
 WHERE r.district_code = s.district_code AND r.id = s.id AND r.k > 1 AND s.state NOT IN ('accepted', 'applied');

CREATE UNIQUE INDEX submissions_one_per_file ON submissions (survey_id, district_code, sha256)
  WHERE state NOT IN ('failed', 'superseded');
