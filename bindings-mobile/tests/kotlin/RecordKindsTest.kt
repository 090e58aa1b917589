// Issue 13 (record kinds) through the Kotlin binding: a prescription meeting
// a standing allergy is refused with allergy_conflict naming the allergy,
// unless overridden with a reason. The rule is core's
// (core/tests/record_prescriptions.rs). Registered in CarebaseTest.kt.

import org.carebase.*
import org.carebase.mobile.*
import java.time.Instant

const val RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"

suspend fun aPrescriptionMeetingAnAllergyIsRefusedNamingItUnlessOverridden() {
    val c = clinic()
    val dr = c.addPractitioner(admin, NewPractitioner(name = "Dr Rx", timeZone = "UTC"))
    val p = c.register(details("Okafor", "Amara", "1990-03-04"))
    c.assignCareTeam(admin, p.id, dr.id)
    val login = Actor(id = newId(), roles = listOf(Role.PRACTITIONER), practitioner = dr.id)
    val now = Instant.now().minusSeconds(60)
    val penicillin = Coding(system = RXNORM, code = "7980")
    val allergy = c.recordAllergy(
        login, p.id, now, null,
        Allergy(
            substance = penicillin, categories = listOf(), criticality = null,
            clinicalStatus = AllergyStatus.ACTIVE, verificationStatus = null, reactions = listOf(),
        ),
    )
    val rx = Prescription(
        medication = penicillin, instructions = null, dose = null, route = null, frequency = null,
        duration = null, refills = 0, prescriber = dr.id, status = PrescriptionStatus.ACTIVE,
        replaces = null, allergyOverrides = listOf(),
    )
    val e = throws<CarebaseException.AllergyConflict> { c.prescribe(login, p.id, now, null, rx) }
    eq("allergy_conflict", e.code(), "code")
    eq(listOf(allergy.id), e.allergies, "allergies")
    val overridden = rx.copy(allergyOverrides = listOf(AllergyOverride(allergy = allergy.id, reason = "desensitised")))
    eq(1L, c.prescribe(login, p.id, now, null, overridden).version.toLong(), "issued")
}

val recordKindsTests: List<Pair<String, suspend () -> Unit>> = listOf(
    "aPrescriptionMeetingAnAllergyIsRefusedNamingItUnlessOverridden" to ::aPrescriptionMeetingAnAllergyIsRefusedNamingItUnlessOverridden,
)
