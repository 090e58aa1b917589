// Issue 13 (encounters, check-in, observations, lab reports) through the
// Kotlin binding: core/tests/record_encounters.rs, record_check_in.rs,
// record_lab_reports.rs. Registered in CarebaseTest.kt.

import org.carebase.*
import org.carebase.mobile.*
import java.time.Instant

fun glucose(value: String, unit: String = "mg/dL") = Observation(
    code = Coding(system = LOINC, code = "2339-0"),
    category = ObservationCategory.LABORATORY,
    status = ObservationStatus.FINAL,
    value = ObservationValue.Quantity(value = value, unit = unit),
    components = emptyList(),
    referenceRanges = listOf(
        ReferenceRange(
            low = Quantity(value = "70", unit = "mg/dL"), high = Quantity(value = "100", unit = "mg/dL"),
            criticalLow = null, criticalHigh = null, sex = null, minAgeYears = null, maxAgeYears = null,
        ),
    ),
    interpretation = null,
)

fun encounterOf(entry: ClinicalEntry): Encounter = (entry.body as EntryBody.Encounter).v1

suspend fun anEncounterStartedInProgressFinishesAnnouncingStartAndEnd() {
    val c = clinic()
    val (doc, patient) = c.charted()
    val started = c.startEncounter(
        doc, patient,
        NewEncounter(
            `class` = EncounterClass.AMBULATORY, status = EncounterStatus.IN_PROGRESS,
            startedAt = Instant.now().minusSeconds(1800), practitioners = listOf(doc.practitioner!!),
        ),
    )
    eq(EncounterStatus.IN_PROGRESS, encounterOf(started).status, "started")
    val done = c.finishEncounter(doc, patient, started.id, 1, null)
    eq(EncounterStatus.FINISHED, encounterOf(done).status, "finished")
    check(encounterOf(done).endedAt != null) { "ended_at is set" }
    val kinds = c.eventsAfter(system, listOf(), 100)
        .map { it.draft.kind }.filter { it.startsWith("encounter.") }
    eq(listOf("encounter.started", "encounter.finished"), kinds, "events")
}

suspend fun aFinishWithoutStartIsRefused() {
    val c = clinic()
    val (doc, patient) = c.charted()
    val planned = c.startEncounter(
        doc, patient,
        NewEncounter(`class` = EncounterClass.VIRTUAL, status = EncounterStatus.PLANNED, startedAt = Instant.now().plusSeconds(86_400)),
    )
    val e = throws<CarebaseException.Conflict> { c.finishEncounter(doc, patient, planned.id, 1, null) }
    check(e.detail is ConflictDetail.InvalidState) { "invalid_state, got ${e.detail}" }
    eq("patient unwell", c.cancelEncounter(doc, patient, planned.id, 1, "patient unwell").revision.reason, "reason")
}

suspend fun checkingInStartsTheEncounterLinkedBothWaysAndASecondCheckInWritesNothing() {
    val s = schedule(patients = 1)
    val a = s.book(s.patients[0], "10:00")
    val arrived = s.c.checkInAppointment(desk, a.id, 1, CheckIn(status = EncounterStatus.IN_PROGRESS))
    eq(AppointmentStatus.ARRIVED, arrived.status, "arrived")
    val encounter = arrived.encounter!!
    val history = s.c.entryHistory(system, s.patients[0].id, encounter)
    eq(a.id, encounterOf(history[0]).appointment, "links back")
    throws<CarebaseException.Conflict> { s.c.checkInAppointment(desk, a.id, 1, CheckIn()) }
    eq(1, s.c.entryHistory(system, s.patients[0].id, encounter).size, "one version")
    throws<CarebaseException.Forbidden> { s.c.entryHistory(desk, s.patients[0].id, encounter) }
}

suspend fun aLabReportAndItsResultsAreWrittenTogetherOrNotAtAll() {
    val c = clinic()
    val (doc, patient) = c.charted()
    val at = Instant.now().minusSeconds(3600)
    val panel = NewLabReport(
        code = Coding(system = LOINC, code = "51990-0"), status = ReportStatus.PRELIMINARY,
        results = listOf(glucose("90"), glucose("130")),
    )
    val written = c.recordLabReport(doc, patient, at, null, panel)
    eq(written.results.map { it.id }, (written.report.body as EntryBody.DiagnosticReport).v1.results, "report names its results")
    eq(listOf(Interpretation.NORMAL, Interpretation.HIGH), written.results.map { observationOf(it).interpretation }, "flags")
    val bad = panel.copy(results = listOf(glucose("90"), glucose("91", "furlongs")))
    val e = throws<CarebaseException.Validation> { c.recordLabReport(doc, patient, at, null, bad) }
    check(e.fields.all { it.field.startsWith("results[1].value") }) { "fields ${e.fields}" }
    eq(3, c.patientTimeline(doc, patient, TimelineQuery()).items.size, "nothing more written")
}

suspend fun anObservationIsRecordedWithItsInterpretationComputedByCore() {
    val c = clinic()
    val (doc, patient) = c.charted()
    val entry = c.recordObservation(doc, patient, Instant.now().minusSeconds(60), null, glucose("60"))
    eq(Interpretation.LOW, observationOf(entry).interpretation, "low")
}

val encountersTests: List<Pair<String, suspend () -> Unit>> = listOf(
    "anEncounterStartedInProgressFinishesAnnouncingStartAndEnd" to ::anEncounterStartedInProgressFinishesAnnouncingStartAndEnd,
    "aFinishWithoutStartIsRefused" to ::aFinishWithoutStartIsRefused,
    "checkingInStartsTheEncounterLinkedBothWaysAndASecondCheckInWritesNothing" to ::checkingInStartsTheEncounterLinkedBothWaysAndASecondCheckInWritesNothing,
    "aLabReportAndItsResultsAreWrittenTogetherOrNotAtAll" to ::aLabReportAndItsResultsAreWrittenTogetherOrNotAtAll,
    "anObservationIsRecordedWithItsInterpretationComputedByCore" to ::anObservationIsRecordedWithItsInterpretationComputedByCore,
)
