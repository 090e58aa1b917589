// A plain program on the carebase JAR: `kotlinc -cp carebase.jar:<deps>`,
// `java -cp carebase.jar:<deps>:. HelloKt`, no -Djna.library.path (JNA finds
// the native library inside the JAR). Run by `test.sh --jar`; the README's
// first example.

import kotlinx.coroutines.runBlocking
import org.carebase.*
import org.carebase.mobile.*

fun main(): Unit = runBlocking {
    val clinic = Clinic.open("memory:")
    val desk = Actor(id = newId(), roles = listOf(Role.FRONT_DESK))
    val patient = clinic.registerPatient(
        desk,
        NewPatient(details = PatientDetails(names = listOf(HumanName(family = "Okafor", given = listOf("Amara"))))),
    )
    val found = clinic.searchPatients(desk, PatientQuery(name = "okafor"))
    println("hello carebase: ${found.items.single().id == patient.id}")
    try {
        clinic.registerPatient(desk, NewPatient(details = PatientDetails()))
    } catch (e: CarebaseException) {
        println("${e.code()}: ${e.message}")
    }
}
