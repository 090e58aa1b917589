// Registering many patients in one call (registerPatients) through the
// Kotlin binding: core/tests/register_patients.rs. Registered in CarebaseTest.kt.

import org.carebase.*
import org.carebase.mobile.*

suspend fun aBatchWithOneBadPatientRegistersTheOthersAndRefusesItWithItsField() {
    val c = clinic()
    val answer = c.registerPatients(desk, listOf(
        NewPatient(details = details("Abara", "Ann", "1980-01-01")),
        NewPatient(details = details("Later", "Ann", "3000-01-01")),
        NewPatient(details = details("Bello", "Ann", "1980-01-01")),
    ))
    eq(2, answer.registered, "registered")
    eq(1, answer.refused, "refused")
    val (first, bad, last) = answer.answers
    check(first.patient != null && first.refusal == null) { "first registered" }
    eq("Bello", last.patient?.details?.names?.single()?.family, "answers keep input order")
    eq(null, bad.patient, "nothing registered for the bad patient")
    eq("validation", bad.refusal?.code, "code")
    eq(listOf("birth_date" to "in_future"), bad.refusal?.fields?.map { it.field to it.code }, "fields")
    eq(first.patient!!.id, c.getPatient(desk, first.patient!!.id).id, "reads back")
}

suspend fun anActorWhoMayNotRegisterGetsOneForbiddenForTheBatch() {
    val c = clinic()
    throws<CarebaseException.Forbidden> {
        c.registerPatients(actor(Role.PATIENT), listOf(NewPatient(details = details("Abara", "Ann", null))))
    }
}

val registerPatientsTests: List<Pair<String, suspend () -> Unit>> = listOf(
    "aBatchWithOneBadPatientRegistersTheOthersAndRefusesItWithItsField" to ::aBatchWithOneBadPatientRegistersTheOthersAndRefusesItWithItsField,
    "anActorWhoMayNotRegisterGetsOneForbiddenForTheBatch" to ::anActorWhoMayNotRegisterGetsOneForbiddenForTheBatch,
)
