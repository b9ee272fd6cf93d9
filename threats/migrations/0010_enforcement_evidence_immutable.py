"""What makes an evidence item evidence never changes, in the database itself (as the custody log, 0009).

UPDATE of an item's original (path, SHA-256, size), kind, reserve, collector, time or place of collection is
refused, and so is DELETE of an item: otherwise a raw `UPDATE … SET sha256 = …` could make a tampered file
pass `verify_evidence`. Words, quantity and links (case, action, incident) stay editable by managers.
TRUNCATE (Django's test flush) does not fire row triggers.
"""

from django.db import migrations

GUARD_SQL = """
CREATE FUNCTION threats_evidenceitem_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'Evidence items are never deleted: DELETE is refused'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.path IS DISTINCT FROM OLD.path OR NEW.sha256 IS DISTINCT FROM OLD.sha256
       OR NEW.size_bytes IS DISTINCT FROM OLD.size_bytes OR NEW.kind IS DISTINCT FROM OLD.kind
       OR NEW.reserve_id IS DISTINCT FROM OLD.reserve_id OR NEW.collected_by_id IS DISTINCT FROM OLD.collected_by_id
       OR NEW.collected_at IS DISTINCT FROM OLD.collected_at
       OR ST_AsEWKB(NEW.location) IS DISTINCT FROM ST_AsEWKB(OLD.location) THEN
        RAISE EXCEPTION 'The original, hash, kind and collection of an evidence item never change: UPDATE is refused'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER evidenceitem_guard BEFORE UPDATE OR DELETE ON threats_evidenceitem
    FOR EACH ROW EXECUTE FUNCTION threats_evidenceitem_guard();
"""

REVERSE_SQL = """
DROP TRIGGER IF EXISTS evidenceitem_guard ON threats_evidenceitem;
DROP FUNCTION IF EXISTS threats_evidenceitem_guard();
"""


class Migration(migrations.Migration):
    dependencies = [("threats", "0009_enforcement")]

    operations = [migrations.RunSQL(GUARD_SQL, REVERSE_SQL)]
