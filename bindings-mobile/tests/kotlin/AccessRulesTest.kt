// Issue 10 through the Kotlin binding: references that must exist (a care
// team of an unregistered practitioner was accepted from Kotlin), masking on
// merge paths, search filters on hidden fields, FHIR import under the
// booking rules, one rule for merged records, another patient's appointment
// id and closed cancellation reasons. The rules are core's
// (core/tests/booking_rules.rs, masking.rs, record_states.rs). Registered in
// CarebaseTest.kt.

import org.carebase.*
import org.carebase.mobile.*

suspend fun assigningAnUnregisteredPractitionerIsNotFoundNamingTheField() {
    val c = clinic()
    val p = c.register(details("Okafor", "Amara", "1990-03-04"))
    val e = throws<CarebaseException.NotFound> { c.assignCareTeam(admin, p.id, newId()) }
    eq("practitioner", e.entity, "entity")
    eq("practitioner", e.field, "field")
    eq(0, c.careTeam(admin, p.id).size, "nothing written")
    val lookup = throws<CarebaseException.NotFound> { c.getPatient(desk, newId()) }
    eq(null, lookup.field, "a plain lookup names no field")
    val dr = c.addPractitioner(admin, NewPractitioner(name = "Dr Care", timeZone = "UTC"))
    eq(dr.id, c.assignCareTeam(admin, p.id, dr.id).practitioner, "a registered practitioner joins")
}

suspend fun anAdminSeesOnlyNamesAndIdentifiersOfDuplicates() {
    val c = clinic()
    val a = c.register(details("Twin", "Tess", "1975-06-15"))
    val b = c.register(details("Twin", "Tess", "1975-06-15"))
    val found = c.findDuplicates(admin, a.id, 10).single()
    eq(b.id, found.patient.id, "candidate")
    eq(null, found.patient.details.birthDate, "birth date hidden")
    eq(0, found.patient.details.telecom.size, "telecom hidden")
    eq(null, found.score.birthDate.similarity, "birth-date score hidden")
    val merge = c.mergePatients(admin, b.id, b.version, a.id, a.version)
    eq(null, merge.mergedBefore.details.birthDate, "merge result masked")
    eq("Twin", merge.mergedBefore.details.names.single().family, "names shown")
}

suspend fun aSearchFilterOnAHiddenFieldIsForbiddenNamingIt() {
    val c = clinic()
    c.register(details("Okafor", "Amara", "1990-03-04"))
    val e = throws<CarebaseException.Forbidden> { c.searchPatients(billing, PatientQuery(phone = "+1 555 0100")) }
    eq(listOf("phone"), e.reason.fields, "refused filter")
    check(e.reason.summary().contains("phone")) { "summary: ${e.reason.summary()}" }
    eq(1, c.searchPatients(desk, PatientQuery(phone = "+1 555 0100")).items.size, "front desk may")
}

suspend fun anImportObeysTheBookingRulesUnlessAMigrationByAnAdmin() {
    val s = schedule(patients = 1)
    val me = patientActor(s.patients[0].id)
    fun resource(start: java.time.Instant, end: java.time.Instant) = """{"resourceType":"Appointment","status":"booked",
        "start":"$start","end":"$end","participant":[
        {"actor":{"reference":"Patient/${s.patients[0].id}"},"status":"accepted"},
        {"actor":{"reference":"Practitioner/${s.doctor.id}"},"status":"accepted"}]}"""
    val offGrid = FhirAppointmentImport(resource = resource(berlin("10:10"), berlin("10:40")), visitType = s.visit.id, references = mapOf())
    val booked = throws<CarebaseException.Validation> { s.book(s.patients[0], "10:10", who = me) }
    val imported = throws<CarebaseException.Validation> { s.c.importAppointmentFhir(me, offGrid) }
    eq(booked.fields.map { it.field to it.code }, imported.fields.map { it.field to it.code }, "same rule as booking")
    val migration = offGrid.copy(migration = true)
    val denied = throws<CarebaseException.Forbidden> { s.c.importAppointmentFhir(desk, migration) }
    eq(Permission.APPOINTMENT_MIGRATE, denied.reason.permission, "own permission")
    val kept = s.c.importAppointmentFhir(admin, migration)
    eq(utc("10:10"), kept.start, "kept as it was")
    val flagged = s.c.auditLog(system, AuditQuery(actor = admin.id)).single { it.draft.subject == "appointment:${kept.id}" }.draft
    eq("appointment.migrate", flagged.action, "audited action")
    check(flagged.reason.endsWith("booking rules skipped (migration)")) { "reason: ${flagged.reason}" }
}

suspend fun aMergedRecordTakesNoNewBookingsButItsAppointmentsCanBeCancelled() {
    val s = schedule(patients = 2)
    val (ann, bob) = s.patients
    val a = s.book(ann, "09:00")
    s.c.mergePatients(system, bob.id, bob.version, ann.id, ann.version)
    val moved = throws<CarebaseException.Conflict> {
        s.c.rescheduleAppointment(desk, a.id, a.version, RescheduleAppointment(start = berlin("10:00")))
    }
    check(moved.detail is ConflictDetail.InvalidState) { "state: ${moved.detail}" }
    val cancelled = s.c.cancelAppointment(desk, a.id, a.version, CancelAppointment(reason = CancellationReason.PAT_MV))
    eq(CancellationReason.PAT_MV, cancelled.cancellation!!.reason, "reason")
}

suspend fun aDoubleBookingHidesAnotherPatientsAppointment() {
    val s = schedule(patients = 2)
    val first = s.book(s.patients[0], "09:00")
    val hidden = throws<CarebaseException.DoubleBooking> { s.book(s.patients[1], "09:00", who = patientActor(s.patients[1].id)) }
    eq(BookedResource.PRACTITIONER, hidden.resource, "resource")
    eq(null, hidden.appointment, "not theirs to read")
    check(!hidden.toString().contains(first.id.toString())) { "leaked: $hidden" }
    eq(first.id, throws<CarebaseException.DoubleBooking> { s.book(s.patients[1], "09:00") }.appointment, "desk may read it")
}

suspend fun cancellationEventsCarryACodeAndNeverTheNote() {
    val s = schedule(patients = 1)
    val a = s.book(s.patients[0], "09:00")
    s.c.cancelAppointment(desk, a.id, a.version, CancelAppointment(reason = CancellationReason.OTH_WEATH, note = "snowed in at home"))
    val event = s.c.eventsAfter(system, listOf(), 100).single { it.draft.kind == "appointment.cancelled" }.draft
    eq(2, event.schemaVersion, "schema version")
    check(event.payload.contains("\"oth-weath\"") && !event.payload.contains("snowed")) { "payload: ${event.payload}" }
}

val accessRulesTests: List<Pair<String, suspend () -> Unit>> = listOf(
    "assigningAnUnregisteredPractitionerIsNotFoundNamingTheField" to ::assigningAnUnregisteredPractitionerIsNotFoundNamingTheField,
    "anAdminSeesOnlyNamesAndIdentifiersOfDuplicates" to ::anAdminSeesOnlyNamesAndIdentifiersOfDuplicates,
    "aSearchFilterOnAHiddenFieldIsForbiddenNamingIt" to ::aSearchFilterOnAHiddenFieldIsForbiddenNamingIt,
    "anImportObeysTheBookingRulesUnlessAMigrationByAnAdmin" to ::anImportObeysTheBookingRulesUnlessAMigrationByAnAdmin,
    "aMergedRecordTakesNoNewBookingsButItsAppointmentsCanBeCancelled" to ::aMergedRecordTakesNoNewBookingsButItsAppointmentsCanBeCancelled,
    "aDoubleBookingHidesAnotherPatientsAppointment" to ::aDoubleBookingHidesAnotherPatientsAppointment,
    "cancellationEventsCarryACodeAndNeverTheNote" to ::cancellationEventsCarryACodeAndNeverTheNote,
)
