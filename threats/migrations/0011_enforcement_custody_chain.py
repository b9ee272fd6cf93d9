"""Each custody event carries a link of a hash chain per evidence item, computed by the database on insert.

`chain_sha256` = SHA-256 of the item's previous link and this row's content (`threats_custody_link`).
The triggers of 0009 already refuse UPDATE and DELETE; the chain makes an edit by someone who switched them
off (the table's owner can) visible: `verify_evidence` recomputes every link and names the first that
no longer matches. Rows that exist when this runs get their links here, in id order.
"""

from django.db import migrations, models

CHAIN_SQL = """
CREATE FUNCTION threats_custody_link(previous text, e threats_custodyevent) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT encode(sha256(convert_to(concat_ws('|',
        previous, e.id::text, e.item_id::text, e.kind,
        to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
        coalesce(e.from_user_id::text, ''), e.from_name, coalesce(e.to_user_id::text, ''), e.to_name,
        e.place_name, coalesce(ST_AsEWKT(e.location), ''), e.notes, coalesce(e.recorded_by_id::text, ''),
        to_char(e.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')
    ), 'UTF8')), 'hex')
$$;

CREATE FUNCTION threats_custodyevent_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    previous text;
BEGIN
    -- One link at a time per item: concurrent hand-overs of the same item queue here.
    PERFORM 1 FROM threats_evidenceitem WHERE id = NEW.item_id FOR UPDATE;
    SELECT chain_sha256 INTO previous FROM threats_custodyevent
        WHERE item_id = NEW.item_id ORDER BY id DESC LIMIT 1;
    NEW.chain_sha256 := threats_custody_link(coalesce(previous, ''), NEW);
    RETURN NEW;
END;
$$;

ALTER TABLE threats_custodyevent DISABLE TRIGGER custodyevent_append_only;
DO $$
DECLARE
    r threats_custodyevent;
    previous text;
    last_item bigint := NULL;
BEGIN
    FOR r IN SELECT * FROM threats_custodyevent ORDER BY item_id, id LOOP
        IF last_item IS DISTINCT FROM r.item_id THEN
            previous := '';
            last_item := r.item_id;
        END IF;
        previous := threats_custody_link(previous, r);
        UPDATE threats_custodyevent SET chain_sha256 = previous WHERE id = r.id;
    END LOOP;
END;
$$;
ALTER TABLE threats_custodyevent ENABLE TRIGGER custodyevent_append_only;

CREATE TRIGGER custodyevent_chain BEFORE INSERT ON threats_custodyevent
    FOR EACH ROW EXECUTE FUNCTION threats_custodyevent_chain();
"""

REVERSE_SQL = """
DROP TRIGGER IF EXISTS custodyevent_chain ON threats_custodyevent;
DROP FUNCTION IF EXISTS threats_custodyevent_chain();
DROP FUNCTION IF EXISTS threats_custody_link(text, threats_custodyevent);
"""


class Migration(migrations.Migration):
    dependencies = [("threats", "0010_enforcement_evidence_immutable")]

    operations = [
        migrations.AddField(
            model_name="custodyevent",
            name="chain_sha256",
            field=models.CharField(blank=True, editable=False, max_length=64, verbose_name="chain SHA-256"),
        ),
        migrations.RunSQL(CHAIN_SQL, REVERSE_SQL),
    ]
