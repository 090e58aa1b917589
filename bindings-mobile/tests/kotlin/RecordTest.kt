// The health record through the Kotlin binding: core/tests/record_*.rs
// (pipeline, reads, access, observations). Registered in CarebaseTest.kt.

import org.carebase.*
import org.carebase.mobile.*
import java.time.Instant
import java.util.UUID

const val LOINC = "http://loinc.org"
const val BODY_WEIGHT = "29463-7"

/** A doctor and a patient on the doctor's care team. */
suspend fun Clinic.charted(): Pair<Actor, UUID> {
    val doc = doctor()
    addPractitioner(admin, NewPractitioner(id = doc.practitioner, name = "Dr Chart", timeZone = "UTC"))
    val p = register(details("Chart", "Ada", "1980-01-01"))
    assignCareTeam(admin, p.id, doc.practitioner!!)
    return doc to p.id
}

fun weight(value: String, unit: String = "kg", ranges: List<ReferenceRange> = emptyList()) = NewEntry(
    effectiveAt = Instant.now().minusSeconds(3600),
    encounter = null,
    body = EntryBody.Observation(
        Observation(
            code = Coding(system = LOINC, code = BODY_WEIGHT),
            category = ObservationCategory.VITAL_SIGNS,
            status = ObservationStatus.FINAL,
            value = ObservationValue.Quantity(value = value, unit = unit),
            components = emptyList(),
            referenceRanges = ranges,
            interpretation = null,
        ),
    ),
)

fun observationOf(entry: ClinicalEntry): Observation = (entry.body as EntryBody.Observation).v1

suspend fun aRecordedObservationReadsBackItsExactDecimal() {
    val c = clinic()
    val (doc, patient) = c.charted()
    val entry = c.recordEntry(doc, patient, weight("72.50"))
    eq(1, entry.version, "version")
    eq("72.50", (observationOf(entry).value as ObservationValue.Quantity).value, "exact decimal")
}

suspend fun aBodyWeightInCentimetresIsAValidationErrorNamingTheUnit() {
    val c = clinic()
    val (doc, patient) = c.charted()
    val e = throws<CarebaseException.Validation> { c.recordEntry(doc, patient, weight("70", "cm")) }
    eq(listOf("body.value.unit"), e.fields.map { it.field }, "fields")
}

suspend fun theInterpretationIsComputedByCore() {
    val c = clinic()
    val (doc, patient) = c.charted()
    val high = ReferenceRange(
        low = null, high = Quantity(value = "80", unit = "kg"), criticalLow = null, criticalHigh = null,
        sex = null, minAgeYears = null, maxAgeYears = null,
    )
    val entry = c.recordEntry(doc, patient, weight("90", ranges = listOf(high)))
    eq(Interpretation.HIGH, observationOf(entry).interpretation, "flag")
}

suspend fun anAmendmentKeepsBothVersionsAndAStaleOneIsAConflict() {
    val c = clinic()
    val (doc, patient) = c.charted()
    val first = c.recordEntry(doc, patient, weight("72.5"))
    c.amendEntry(doc, patient, first.id, 1, weight("27.5").body, "digits swapped")
    eq(listOf(1, 2), c.entryHistory(doc, patient, first.id).map { it.version }, "versions")
    throws<CarebaseException.Conflict> { c.retractEntry(doc, patient, first.id, 1, "stale") }
}

suspend fun theTimelineLeavesRetractedEntriesOutAndLatestVitalsGiveTheLatest() {
    val c = clinic()
    val (doc, patient) = c.charted()
    val first = c.recordEntry(doc, patient, weight("70"))
    val second = c.recordEntry(doc, patient, weight("71"))
    eq(listOf(second.id), c.latestVitals(doc, patient).items.map { it.id }, "latest")
    c.retractEntry(doc, patient, first.id, 1, "wrong patient")
    eq(listOf(second.id), c.patientTimeline(doc, patient, TimelineQuery()).items.map { it.id }, "timeline")
}

suspend fun theFrontDeskSeesNothingOfTheRecord() {
    val c = clinic()
    val (doc, patient) = c.charted()
    c.recordEntry(doc, patient, weight("70"))
    throws<CarebaseException.Forbidden> { c.patientTimeline(actor(Role.FRONT_DESK), patient, TimelineQuery()) }
}

val recordTests: List<Pair<String, suspend () -> Unit>> = listOf(
    "aRecordedObservationReadsBackItsExactDecimal" to ::aRecordedObservationReadsBackItsExactDecimal,
    "aBodyWeightInCentimetresIsAValidationErrorNamingTheUnit" to ::aBodyWeightInCentimetresIsAValidationErrorNamingTheUnit,
    "theInterpretationIsComputedByCore" to ::theInterpretationIsComputedByCore,
    "anAmendmentKeepsBothVersionsAndAStaleOneIsAConflict" to ::anAmendmentKeepsBothVersionsAndAStaleOneIsAConflict,
    "theTimelineLeavesRetractedEntriesOutAndLatestVitalsGiveTheLatest" to ::theTimelineLeavesRetractedEntriesOutAndLatestVitalsGiveTheLatest,
    "theFrontDeskSeesNothingOfTheRecord" to ::theFrontDeskSeesNothingOfTheRecord,
)
