// A practitioner's "my patients" (patientsOfPractitioner) through the Kotlin
// binding: core/tests/my_patients.rs. Registered in CarebaseTest.kt.

import org.carebase.*
import org.carebase.mobile.*
import java.util.UUID

/** `count` patients on `doc`'s care team (and one on nobody's), ids sorted. */
suspend fun Clinic.withPatients(doc: Actor, count: Int): List<UUID> {
    addPractitioner(admin, NewPractitioner(id = doc.practitioner, name = "Dr Care", timeZone = "UTC"))
    val ids = (0 until count).map { i ->
        val p = register(details("Mine$i", "Ann", "1980-01-01"))
        assignCareTeam(admin, p.id, doc.practitioner!!)
        p.id
    }
    register(details("Nobodys", "Ann", "1980-01-01"))
    return ids.sorted()
}

suspend fun aPractitionerPagesThroughTheirOwnPatients() {
    val c = clinic()
    val doc = doctor()
    val mine = c.withPatients(doc, 3)
    val first = c.patientsOfPractitioner(doc, doc.practitioner!!, PageQuery(limit = 2))
    eq(mine.take(2), first.items.map { it.id }, "first page")
    check(first.items.all { it.hiddenFields.isEmpty() }) { "own patients are seen whole" }
    val rest = c.patientsOfPractitioner(doc, doc.practitioner!!, PageQuery(limit = 2, cursor = first.nextCursor))
    eq(mine.drop(2), rest.items.map { it.id }, "second page")
    eq(null, rest.nextCursor, "last page")
}

suspend fun anAdminSeesOnlyWhoAPractitionersPatientsAre() {
    val c = clinic()
    val doc = doctor()
    c.withPatients(doc, 1)
    val seen = c.patientsOfPractitioner(admin, doc.practitioner!!, PageQuery()).items.single()
    check(PatientField.TELECOM in seen.hiddenFields) { "telecom hidden: ${seen.hiddenFields}" }
}

suspend fun eachListedPatientIsAudited() {
    val c = clinic()
    val doc = doctor()
    val mine = c.withPatients(doc, 2)
    c.patientsOfPractitioner(doc, doc.practitioner!!, PageQuery())
    val entries = c.auditLog(system, AuditQuery(actor = doc.id))
    eq(mine, entries.mapNotNull { it.draft.patient }.sorted(), "one entry per patient")
    check(entries.all { it.draft.action == "care_team.patients" }) { "actions" }
}

suspend fun anotherPractitionersListIsForbidden() {
    val c = clinic()
    val other = doctor()
    c.withPatients(other, 1)
    throws<CarebaseException.Forbidden> { c.patientsOfPractitioner(doctor(), other.practitioner!!, PageQuery()) }
}

suspend fun anUnknownPractitionerIsNotFoundNamingIt() {
    val c = clinic()
    val e = throws<CarebaseException.NotFound> { c.patientsOfPractitioner(admin, newId(), PageQuery()) }
    eq("practitioner", e.entity, "entity")
    eq("practitioner", e.field, "field")
}

suspend fun aBadCursorIsAValidationErrorOnCursor() {
    val c = clinic()
    val doc = doctor()
    c.withPatients(doc, 1)
    val e = throws<CarebaseException.Validation> {
        c.patientsOfPractitioner(doc, doc.practitioner!!, PageQuery(cursor = "nope"))
    }
    eq(listOf("cursor"), e.fields.map { it.field }, "fields")
}

suspend fun mergedAwayPatientsAreNeverListedAndInactiveOnesOnlyOnRequest() {
    val c = clinic()
    val doc = doctor()
    val (kept, gone, quiet) = c.withPatients(doc, 3).map { c.getPatient(system, it) }
    c.mergePatients(system, kept.id, kept.version, gone.id, gone.version)
    c.deactivatePatient(system, quiet.id, quiet.version)
    val today = c.patientsOfPractitioner(doc, doc.practitioner!!, PageQuery())
    eq(listOf(kept.id), today.items.map { it.id }, "cared for today")
    val everyone = c.patientsOfPractitioner(doc, doc.practitioner!!, PageQuery(includeInactive = true))
    eq(listOf(kept.id, quiet.id).sorted(), everyone.items.map { it.id }, "inactive on request")
}

val myPatientsTests: List<Pair<String, suspend () -> Unit>> = listOf(
    "mergedAwayPatientsAreNeverListedAndInactiveOnesOnlyOnRequest" to ::mergedAwayPatientsAreNeverListedAndInactiveOnesOnlyOnRequest,
    "aPractitionerPagesThroughTheirOwnPatients" to ::aPractitionerPagesThroughTheirOwnPatients,
    "anAdminSeesOnlyWhoAPractitionersPatientsAre" to ::anAdminSeesOnlyWhoAPractitionersPatientsAre,
    "eachListedPatientIsAudited" to ::eachListedPatientIsAudited,
    "anotherPractitionersListIsForbidden" to ::anotherPractitionersListIsForbidden,
    "anUnknownPractitionerIsNotFoundNamingIt" to ::anUnknownPractitionerIsNotFoundNamingIt,
    "aBadCursorIsAValidationErrorOnCursor" to ::aBadCursorIsAValidationErrorOnCursor,
)
