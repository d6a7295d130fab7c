-- Views of the corpus database, created by `bizenv build` after the tables are loaded.
-- Each statement ends with a semicolon on its own line; comments document each view.

-- unit_agency: every unit with the agency it belongs to (the root of its parent chain).
-- 市发改委（市信用办） is registered as the credit office with the development and reform
-- commission as parent; counting by agency_id counts it for the commission.
CREATE VIEW unit_agency AS
WITH RECURSIVE chain(unit_id, agency_id, depth) AS (
    SELECT unit_id, unit_id, 0 FROM units
    UNION ALL
    SELECT c.unit_id, u.parent_unit_id, c.depth + 1
    FROM chain c JOIN units u ON u.unit_id = c.agency_id
    WHERE u.parent_unit_id IS NOT NULL AND c.depth < 10
)
SELECT c.unit_id, c.agency_id, a.name AS agency_name, a.name_en AS agency_name_en
FROM chain c
JOIN units a ON a.unit_id = c.agency_id
QUALIFY row_number() OVER (PARTITION BY c.unit_id ORDER BY c.depth DESC) = 1
;

-- task_overview: one row per task with its document, headings, units, deadlines and targets.
-- Search text_clean, not text: text keeps the PDF line breaks and stray spaces (宗 地征收).
CREATE VIEW task_overview AS
WITH units_by_role AS (
    SELECT a.task_id,
           string_agg(u.name, '、' ORDER BY a.position) FILTER (WHERE a.role = 'lead') AS lead_units,
           string_agg(u.name, '、' ORDER BY a.position) FILTER (WHERE a.role = 'responsible') AS responsible_units,
           count(*) FILTER (WHERE a.role = 'lead') AS n_lead,
           count(*) FILTER (WHERE a.role = 'responsible') AS n_responsible
    FROM assignments a JOIN units u USING (unit_id)
    GROUP BY a.task_id
), dl AS (
    SELECT task_id,
           string_agg(coalesce(raw_text, ''), '；' ORDER BY position) AS deadlines,
           min(due_date) AS first_due_date,
           max(due_date) AS last_due_date,
           bool_or(kind = 'ongoing') AS ongoing
    FROM deadlines GROUP BY task_id
), tg AS (
    SELECT task_id, count(*) AS n_targets FROM targets GROUP BY task_id
)
SELECT t.task_id, t.document_id, d.jurisdiction, d.jurisdiction_en, d.year, d.doc_type,
       p.label AS heading1_label, p.title AS heading1, m.label AS heading2_label, m.title AS heading2,
       t.seq, t.label, t.text, t.text_clean, t.status,
       r.lead_units, r.responsible_units, coalesce(r.n_lead, 0) AS n_lead, coalesce(r.n_responsible, 0) AS n_responsible,
       dl.deadlines, dl.first_due_date, dl.last_due_date, coalesce(dl.ongoing, false) AS ongoing,
       coalesce(tg.n_targets, 0) AS n_targets, t.source_line, t.notes
FROM tasks t
JOIN documents d USING (document_id)
LEFT JOIN measures m ON m.measure_id = t.measure_id
LEFT JOIN measures p ON p.measure_id = coalesce(m.parent_id, m.measure_id) AND p.level = 1
LEFT JOIN units_by_role r USING (task_id)
LEFT JOIN dl USING (task_id)
LEFT JOIN tg USING (task_id)
;

-- unit_workload: tasks led and co-owned per agency (sub-units such as 市发改委（市信用办） roll up
-- to their agency), with the number of documents and the printed forms seen. In a table with
-- merged cells (echeng-2023) an empty unit cell takes the unit printed above it (inherited):
-- *_on_row counts tasks whose own row names the agency, *_inherited tasks that name it only
-- through a merged cell; tasks_led = tasks_led_on_row + tasks_led_inherited.
CREATE VIEW unit_workload AS
SELECT ua.agency_id AS unit_id, ua.agency_name AS name, ua.agency_name_en AS name_en,
       any_value(a_u.jurisdiction) AS jurisdiction, any_value(a_u.unit_type) AS unit_type,
       count(DISTINCT a.task_id) FILTER (WHERE a.role = 'lead') AS tasks_led,
       count(DISTINCT a.task_id) FILTER (WHERE a.role = 'responsible') AS tasks_responsible,
       count(DISTINCT a.task_id) AS tasks_total,
       count(DISTINCT a.task_id) FILTER (WHERE a.role = 'lead' AND NOT a.inherited) AS tasks_led_on_row,
       count(DISTINCT a.task_id) FILTER (WHERE a.role = 'lead')
           - count(DISTINCT a.task_id) FILTER (WHERE a.role = 'lead' AND NOT a.inherited) AS tasks_led_inherited,
       count(DISTINCT a.task_id) FILTER (WHERE a.role = 'responsible' AND NOT a.inherited) AS tasks_responsible_on_row,
       count(DISTINCT a.task_id) FILTER (WHERE a.role = 'responsible')
           - count(DISTINCT a.task_id) FILTER (WHERE a.role = 'responsible' AND NOT a.inherited)
           AS tasks_responsible_inherited,
       count(DISTINCT t.document_id) AS documents,
       string_agg(DISTINCT a.name_as_printed, '；' ORDER BY a.name_as_printed) AS printed_as
FROM assignments a
JOIN unit_agency ua USING (unit_id)
JOIN units a_u ON a_u.unit_id = ua.agency_id
JOIN tasks t USING (task_id)
GROUP BY ua.agency_id, ua.agency_name, ua.agency_name_en
;

-- deadline_calendar: tasks and commitments due per month and document (fixed deadlines only).
CREATE VIEW deadline_calendar AS
SELECT t.document_id, d.jurisdiction, CAST(date_trunc('month', dl.due_date) AS DATE) AS month,
       count(DISTINCT dl.task_id) AS tasks_due, count(*) AS commitments
FROM deadlines dl
JOIN tasks t USING (task_id)
JOIN documents d USING (document_id)
WHERE dl.kind = 'fixed'
GROUP BY ALL
;

-- targets_long: one row per target with its task, document and value in the base unit
-- (100亿元 -> 10000000000 cny).
CREATE VIEW targets_long AS
SELECT g.target_id, g.task_id, t.document_id, d.jurisdiction, d.jurisdiction_en, d.year,
       g.kind, g.metric, g.comparator, g.value, g.unit_raw, g.unit,
       g.value * mu.factor AS value_base, mu.base_code AS base_unit, mu.dimension,
       g.baseline_value, g.baseline_value * mu.factor AS baseline_base,
       g.quote, t.text AS task_text, t.text_clean AS task_text_clean, g.notes
FROM targets g
JOIN tasks t USING (task_id)
JOIN documents d USING (document_id)
JOIN measurement_units mu ON mu.code = g.unit
;

-- assignments_long: one row per assignment with its task, document, jurisdiction and unit, for
-- questions across documents ("every task led by a state enterprise, in any city").
CREATE VIEW assignments_long AS
SELECT a.task_id, t.document_id, d.jurisdiction AS document_jurisdiction, d.year, t.seq, t.status,
       a.role, a.position, a.unit_id, u.name AS unit_name, u.name_en AS unit_name_en, u.unit_type,
       u.jurisdiction AS unit_jurisdiction, ua.agency_id, ua.agency_name, a.name_as_printed, a.inherited,
       t.text, t.text_clean
FROM assignments a
JOIN tasks t USING (task_id)
JOIN documents d USING (document_id)
JOIN units u USING (unit_id)
JOIN unit_agency ua USING (unit_id)
;

-- deadlines_by_document: how each document sets deadlines: each task (whose text survives) is
-- counted once, by its first kind in this order: a dated deadline (tasks_with_date), ongoing only
-- (长期推进, 持续推进: ongoing_only), per the superior's arrangement only (根据省统一安排:
-- per_superior_only), no deadline printed (no_deadline); they add up to tasks. Then the earliest, median and latest due date; the median months from the document's
-- date (or 1 January of its year where no date is printed) to the due date.
CREATE VIEW deadlines_by_document AS
WITH per_task AS (
    SELECT t.document_id, t.task_id,
           min(dl.due_date) FILTER (WHERE dl.kind = 'fixed') AS first_due,
           bool_or(dl.kind = 'ongoing') AS has_ongoing,
           bool_or(dl.kind = 'per_superior') AS has_per_superior
    FROM tasks t LEFT JOIN deadlines dl USING (task_id)
    WHERE t.status = 'ok'
    GROUP BY t.document_id, t.task_id
)
SELECT p.document_id, d.jurisdiction, d.year, d.issued_date,
       count(*) AS tasks,
       count(p.first_due) AS tasks_with_date,
       count(*) FILTER (WHERE p.first_due IS NULL AND p.has_ongoing) AS ongoing_only,
       count(*) FILTER (WHERE p.first_due IS NULL AND NOT coalesce(p.has_ongoing, false)
                        AND coalesce(p.has_per_superior, false)) AS per_superior_only,
       count(*) FILTER (WHERE p.first_due IS NULL AND NOT coalesce(p.has_ongoing, false)
                        AND NOT coalesce(p.has_per_superior, false)) AS no_deadline,
       min(p.first_due) AS earliest_due,
       CAST(quantile_disc(p.first_due, 0.5) AS DATE) AS median_due,
       max(p.first_due) AS latest_due,
       quantile_disc(datediff('month', coalesce(d.issued_date, make_date(d.year, 1, 1)), p.first_due), 0.5)
           AS median_months_to_due
FROM per_task p JOIN documents d USING (document_id)
GROUP BY p.document_id, d.jurisdiction, d.year, d.issued_date
;

-- targets_by_indicator: every target with the indicator of its task, its document and year, and
-- its value in a base unit: "how did the getting-electricity targets tighten from 2019 to 2023?"
CREATE VIEW targets_by_indicator AS
SELECT t.indicator_id, i.name_en AS indicator, i.name_zh AS indicator_zh, tl.document_id, tl.jurisdiction,
       tl.jurisdiction_en, tl.year, tl.kind, tl.metric, tl.comparator, tl.value, tl.unit_raw, tl.unit,
       tl.value_base, tl.base_unit, tl.dimension, tl.baseline_value, tl.target_id, tl.task_id, tl.quote
FROM targets_long tl
JOIN tasks t USING (task_id)
LEFT JOIN indicators i USING (indicator_id)
;

-- function_workload: tasks led and shared per agency function and jurisdiction, so that the same
-- kind of agency can be compared across cities (development_reform in Xianning vs Echeng ...).
CREATE VIEW function_workload AS
SELECT u.function, u.jurisdiction,
       count(DISTINCT a.task_id) FILTER (WHERE a.role = 'lead') AS tasks_led,
       count(DISTINCT a.task_id) FILTER (WHERE a.role = 'responsible') AS tasks_responsible,
       count(DISTINCT a.unit_id) AS units,
       string_agg(DISTINCT u.name, '、' ORDER BY u.name) AS unit_names
FROM assignments a
JOIN units u USING (unit_id)
GROUP BY u.function, u.jurisdiction
;

-- reported_figures: the figures a work summary reports as achieved, with their headings, the
-- date they refer to and the text they come from.
CREATE VIEW reported_figures AS
SELECT g.target_id, t.document_id, d.jurisdiction, p.title AS heading1, m.title AS heading2, t.label,
       t.indicator_id, g.metric, g.comparator, g.value, g.value_status, g.unit_raw, g.unit,
       g.value * mu.factor AS value_base, mu.base_code AS base_unit, g.as_of_raw, g.as_of_date, g.quote,
       g.notes
FROM targets g
JOIN tasks t USING (task_id)
JOIN documents d USING (document_id)
JOIN measurement_units mu ON mu.code = g.unit
LEFT JOIN measures m ON m.measure_id = t.measure_id
LEFT JOIN measures p ON p.measure_id = coalesce(m.parent_id, m.measure_id) AND p.level = 1
WHERE g.kind = 'reported'
;
