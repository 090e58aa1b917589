// Bad input to every health-record operation through the Kotlin binding:
// the rows of Python's tests/test_bad_record_input.py and Node's
// test/bad_record_input.test.mjs, each asserting core's stable answer (the
// error's code and the field it names; for not_found the field and the
// entity). `latestVitals` has no row: its arguments are an Actor and a
// UUID, so Kotlin's types leave no bad value to hand it. Kotlin cannot
// hand core a struct as a JSON array either (uniffi records, never JSON),
// so the positional-array rule of core's JSON door has no Kotlin test.
// Registered in CarebaseTest.kt.

import org.carebase.*
import org.carebase.mobile.*
import java.time.Instant

private const val SNOMED = "http://snomed.info/sct"
private const val CVX = "http://hl7.org/fhir/sid/cvx"
private const val ELSEWHERE = "0190a000-0000-7000-8000-0000000000ff"

/** `(code, field, field code or entity)` of a refusal; `ok` when the call went through. */
private suspend fun answer(call: suspend () -> Any?): Triple<String, String, String> = try {
    call()
    Triple("ok", "", "")
} catch (e: CarebaseException.Validation) {
    check(e.fields.size == 1) { "one field: ${e.fields.map { it.field to it.code }}" }
    Triple("validation", e.fields[0].field, e.fields[0].code)
} catch (e: CarebaseException.NotFound) {
    Triple("not_found", e.field ?: "", e.entity)
}

/** One row: an operation, what core answers, and the call with the bad value. */
private class Row(val name: String, val expected: Triple<String, String, String>, val call: suspend () -> Any?)

private fun row(name: String, code: String, field: String, detail: String, call: suspend () -> Any?) =
    Row(name, Triple(code, field, detail), call)

private fun weightOf(unit: String) = (weight("70", unit).body as EntryBody.Observation).v1

suspend fun aBadValueToEachRecordOperationIsCoresTypedErrorNamingItsField() {
    val s = schedule(patients = 1)
    val c = s.c
    val p = s.patients[0].id
    c.assignCareTeam(admin, p, s.doctor.id)
    val who = Actor(id = newId(), roles = listOf(Role.PRACTITIONER), practitioner = s.doctor.id)
    val at = Instant.now().minusSeconds(3600)
    val dayBefore = at.minusSeconds(86_400)
    val e = c.recordEntry(who, p, weight("70")).id
    val enc = c.startEncounter(who, p, NewEncounter(`class` = EncounterClass.AMBULATORY, status = EncounterStatus.IN_PROGRESS, startedAt = at)).id
    val a = s.book(s.patients[0], "10:00")
    fun rx(refills: Int = 0) = Prescription(
        medication = Coding(system = RXNORM, code = "308182"), instructions = null, dose = null, route = null,
        frequency = null, duration = null, refills = refills, prescriber = s.doctor.id,
        status = PrescriptionStatus.ACTIVE, replaces = null, allergyOverrides = listOf(),
    )
    val rows = listOf(
        row("recordEntry", "validation", "body.value.unit", "invalid_unit") { c.recordEntry(who, p, weight("70", "cm")) },
        row("changeEntryStatus", "validation", "status", "unknown_code") { c.changeEntryStatus(who, p, e, 1, "maybe") },
        row("amendEntry", "validation", "reason", "required") { c.amendEntry(who, p, e, 1, weight("70").body, " ") },
        row("retractEntry", "validation", "reason", "required") { c.retractEntry(who, p, e, 1, "") },
        row("patientTimeline", "validation", "limit", "out_of_range") { c.patientTimeline(who, p, TimelineQuery(limit = 0)) },
        row("entryHistory", "validation", "entry", "invalid_format") { c.entryHistory(who, p, "not-a-uuid") },
        row("latestObservations", "validation", "codes[0].system", "out_of_range") { c.latestObservations(who, p, listOf(Coding(system = "", code = "1"))) },
        row("observationsAcrossPatients", "validation", "limit", "out_of_range") { c.observationsAcrossPatients(who, ObservationQuery(code = Coding(system = LOINC, code = BODY_WEIGHT), limit = 0)) },
        row("recordCondition", "validation", "body.code.code", "required") {
            c.recordCondition(who, p, at, null, Condition(Coding(system = SNOMED, code = ""), ConditionStatus.ACTIVE, VerificationStatus.CONFIRMED, null, null))
        },
        row("recordAllergy", "validation", "body.substance.system", "required") {
            c.recordAllergy(who, p, at, null, Allergy(Coding(system = "", code = "7980"), listOf(), null, AllergyStatus.ACTIVE, null, listOf()))
        },
        row("recordProcedure", "validation", "body.ended_at", "before_start") {
            c.recordProcedure(who, p, at, null, Procedure(Coding(system = SNOMED, code = "80146002"), ProcedureStatus.COMPLETED, dayBefore, listOf()))
        },
        row("recordImmunization", "validation", "body.lot", "required") {
            c.recordImmunization(who, p, at, null, Immunization(Coding(system = CVX, code = "140"), ImmunizationStatus.COMPLETED, "", null))
        },
        row("prescribe", "validation", "body.refills", "out_of_range") { c.prescribe(who, p, at, null, rx(1000)) },
        row("changePrescriptionStatus", "not_found", "entry", "prescription") { c.changePrescriptionStatus(who, p, e, 1, PrescriptionStatus.ON_HOLD) },
        row("renewPrescription", "validation", "ends_as", "out_of_range") { c.renewPrescription(who, p, e, 1, PrescriptionStatus.ACTIVE, rx()) },
        row("writeNote", "validation", "body.text", "required") { c.writeNote(who, p, at, null, null, " ") },
        row("importEntryFhir", "validation", "resourceType", "wrong_resource_type") { c.importEntryFhir(who, p, FhirEntryImport(resource = """{"resourceType":"Claim"}""")) },
        row("exportEntryFhir", "not_found", "entry", "entry") { c.exportEntryFhir(who, p, ELSEWHERE) },
        row("startEncounter", "validation", "encounter.status", "out_of_range") {
            c.startEncounter(who, p, NewEncounter(`class` = EncounterClass.AMBULATORY, status = EncounterStatus.FINISHED, startedAt = at))
        },
        row("changeEncounterStatus", "validation", "expected_version", "invalid_value") { c.changeEncounterStatus(who, p, enc, -1, EncounterStatus.FINISHED) },
        row("finishEncounter", "validation", "ended_at", "out_of_range") { c.finishEncounter(who, p, enc, 1, dayBefore) },
        row("cancelEncounter", "validation", "reason", "required") { c.cancelEncounter(who, p, enc, 1, "") },
        row("checkInAppointment", "validation", "check_in.status", "out_of_range") { c.checkInAppointment(desk, a.id, 1L, CheckIn(status = EncounterStatus.FINISHED)) },
        row("recordObservation", "validation", "observation.value.unit", "invalid_unit") { c.recordObservation(who, p, at, null, weightOf("cm")) },
        row("recordLabReport", "validation", "status", "out_of_range") {
            c.recordLabReport(who, p, at, null, NewLabReport(code = Coding(system = LOINC, code = "51990-0"), status = ReportStatus.AMENDED, results = listOf()))
        },
        row("attachDocument", "validation", "content_type", "not_allowed") { c.attachDocument(who, p, at, null, "text/html", null, "<p>".toByteArray()) },
        row("readDocument", "not_found", "entry", "document") { c.readDocument(who, p, e) },
    )
    val failures = rows.mapNotNull { row ->
        val got = answer(row.call)
        if (got == row.expected) null else "${row.name}: expected ${row.expected}, got $got"
    }
    check(failures.isEmpty()) { failures.joinToString("; ") }
    eq(listOf(1), c.entryHistory(who, p, e).map { it.version }, "the refused calls changed nothing")
}

val badRecordInputTests: List<Pair<String, suspend () -> Unit>> = listOf(
    "aBadValueToEachRecordOperationIsCoresTypedErrorNamingItsField" to ::aBadValueToEachRecordOperationIsCoresTypedErrorNamingItsField,
)
