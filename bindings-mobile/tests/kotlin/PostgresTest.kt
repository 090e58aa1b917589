// Read-your-writes over a PostgreSQL store opened through `Clinic.open`.
// Needs CAREBASE_PG_URL (eval "$(bash scripts/postgres | tail -n 1)"): without
// it each test prints SKIP and passes, or fails when CI is set. The database is
// shared across runs, so names, the MRN facility and its identifier system
// carry a random suffix unique to this run. Registered in CarebaseTest.kt.

import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.coroutineScope
import org.carebase.*
import org.carebase.mobile.*

val pgSuffix = java.util.UUID.randomUUID().toString().replace("-", "").take(10)
val pgFacility = "pg-$pgSuffix"
val pgMrn = "urn:carebase:mrn:pg-$pgSuffix"

fun pgSettings() = defaultSettings().copy(
    identifierSystems = listOf(IdentifierSystem(system = pgMrn, checkDigit = CheckDigit.LUHN)),
    mrnNamespaces = listOf(
        MrnNamespace(facility = pgFacility, system = pgMrn, prefix = "", digits = 7, checkDigit = CheckDigit.LUHN),
    ),
)

var pgClinic: Clinic? = null

/** Runs [body] on the shared Postgres clinic, or skips (fails under CI) without a URL. */
suspend fun withPg(body: suspend (Clinic) -> Unit) {
    val url = System.getenv("CAREBASE_PG_URL")
    if (url.isNullOrEmpty()) {
        if (!System.getenv("CI").isNullOrEmpty()) {
            throw TestFailure("CI is set but CAREBASE_PG_URL is not: run `bash scripts/postgres` first")
        }
        println("SKIP: CAREBASE_PG_URL is not set (eval \"\$(bash scripts/postgres | tail -n 1)\")")
        return
    }
    val c = pgClinic ?: Clinic.open(url, pgSettings()).also { pgClinic = it }
    body(c)
}

suspend fun pgRegister(c: Clinic, family: String, given: String, birth: String? = "1970-01-01") =
    c.registerPatient(desk, NewPatient(details = details(family + pgSuffix, given, birth)))

suspend fun postgresRegisterGetUpdateAndStaleConflict() = withPg { c ->
    val p = pgRegister(c, "Rw", "Ada", "1984-07-01")
    eq(1L, p.version, "version")
    val read = c.getPatient(desk, p.id)
    eq(p, read, "read back")
    val changed = read.details.copy(language = "es-MX")
    eq(2L, c.updatePatient(desk, p.id, 1L, changed).version, "version after update")
    eq("es-MX", c.getPatient(desk, p.id).details.language, "language read back")
    val stale = throws<CarebaseException.Conflict> { c.updatePatient(desk, p.id, 1L, changed) }
    eq(ConflictDetail.StaleVersion("patient", 1L, 2L) as ConflictDetail, stale.detail, "stale detail")
    eq(2L, c.getPatient(desk, p.id).version, "nothing written")
}

suspend fun postgresSearchPagesAndFoldsAccents() = withPg { c ->
    val ids = (0 until 5).map { pgRegister(c, "Page", "N$it").id }
    val sizes = mutableListOf<Int>()
    val seen = mutableListOf<java.util.UUID>()
    var cursor: String? = null
    do {
        val page = c.searchPatients(desk, PatientQuery(name = "page$pgSuffix", limit = 2, cursor = cursor))
        sizes += page.items.size
        seen += page.items.map { it.id }
        cursor = page.nextCursor
    } while (cursor != null)
    eq(listOf(2, 2, 1), sizes, "page sizes")
    eq(ids, seen, "paged ids")

    val jose = pgRegister(c, "Núñez", "José$pgSuffix")
    for (q in listOf("jose$pgSuffix", "JOSÉ${pgSuffix.uppercase()}", "nunez$pgSuffix jose")) {
        eq(listOf(jose.id), c.searchPatients(desk, PatientQuery(name = q)).items.map { it.id }, "search '$q'")
    }
}

suspend fun postgresConcurrentMrnsAndDuplicateIdentifier() = withPg { c ->
    val patients = coroutineScope {
        (0 until 20).map { i ->
            async(Dispatchers.Default) {
                c.registerPatient(desk, NewPatient(details = details("Mrn$pgSuffix", "P$i", null), mrnFacility = pgFacility))
            }
        }.awaitAll()
    }
    val mrns = patients.map { it.details.identifiers.single() }
    check(mrns.all { it.system == pgMrn }) { "mrn systems: $mrns" }
    eq(20, mrns.map { it.value }.toSet().size, "distinct MRNs")
    eq(listOf(mrns[7]), c.getPatient(desk, patients[7].id).details.identifiers, "MRN read back")

    val dup = details("Dup$pgSuffix", "Lic", null).copy(identifiers = listOf(Identifier(pgMrn, mrns[0].value)))
    val taken = throws<CarebaseException.Conflict> { c.registerPatient(desk, NewPatient(details = dup)) }
    eq(ConflictDetail.DuplicateIdentifier(pgMrn) as ConflictDetail, taken.detail, "duplicate identifier")
}

suspend fun postgresMergeAndUnmerge() = withPg { c ->
    val a = pgRegister(c, "Okafor", "Amara", "1990-03-04")
    val b = pgRegister(c, "Okafor", "Amarah", "1990-03-04")
    val merge = c.mergePatients(admin, a.id, a.version, b.id, b.version)
    eq(a.id to b.id, merge.survivor to merge.merged, "survivor/merged")
    val gone = c.getPatient(system, b.id)
    eq(a.id, gone.mergedInto, "merged into")
    check(!gone.active) { "merged record inactive" }
    val back = c.unmergePatients(admin, merge.id)
    check(back.active && back.mergedInto == null) { "restored: $back" }
    eq(b.details.names, back.details.names, "names restored")
    throws<CarebaseException.Conflict> { c.unmergePatients(admin, merge.id) }
    val history = c.mergeHistory(admin, b.id)
    eq(listOf(merge.id), history.map { it.id }, "merge log")
    check(history.single().unmergedAt != null) { "unmerged at" }
}

suspend fun postgresDeniedReadCarriesItsReason() = withPg { c ->
    val p = pgRegister(c, "Deny", "Me")
    val doc = doctor()
    val e = throws<CarebaseException.Forbidden> { c.getPatient(doc, p.id) }
    eq(Permission.PATIENT_READ, e.reason.permission, "permission")
    check(e.reason.steps.isNotEmpty() && e.reason.steps.none { it.held }) { "steps: ${e.reason.steps}" }
    val log = c.auditLog(system, AuditQuery(actor = doc.id))
    eq(listOf(Triple("patient.read", Outcome.DENIED, p.id)), log.map { Triple(it.draft.action, it.draft.outcome, it.draft.patient) }, "audited")
}

/** A position before the newest event, found with O(log n) probes. */
suspend fun pgLastEventBound(c: Clinic): Long {
    var lo = 0L
    var hi = 1L
    while (c.eventsAfter(system, hi, 1).isNotEmpty()) { lo = hi; hi *= 2L }
    while (hi - lo > 1L) {
        val mid = (lo + hi) / 2L
        if (c.eventsAfter(system, mid, 1).isNotEmpty()) lo = mid else hi = mid
    }
    return lo
}

suspend fun postgresEventsAfterAndAuditVerifies() = withPg { c ->
    val position = pgLastEventBound(c)
    val mine = (0 until 3).map { pgRegister(c, "Ev", "E$it").id }
    val found = mutableListOf<OutboxEvent>()
    var after = position
    while (true) {
        val batch = c.eventsAfter(system, after, 1000)
        if (batch.isEmpty()) break
        found += batch.filter { it.draft.patient in mine }
        after = batch.last().seq
    }
    eq(List(3) { "patient.registered" }, found.map { it.draft.kind }, "kinds")
    eq(mine, found.map { it.draft.patient }, "patients in order")

    val v = c.verifyAudit(admin)
    check(v.ok) { "chains intact: ${v.problem}" }
    eq(null, v.problem, "no problem")
    check(v.chainsChecked >= 3L) { "walked ${v.chainsChecked}" }
}

val postgresTests: List<Pair<String, suspend () -> Unit>> = listOf(
    "postgresRegisterGetUpdateAndStaleConflict" to ::postgresRegisterGetUpdateAndStaleConflict,
    "postgresSearchPagesAndFoldsAccents" to ::postgresSearchPagesAndFoldsAccents,
    "postgresConcurrentMrnsAndDuplicateIdentifier" to ::postgresConcurrentMrnsAndDuplicateIdentifier,
    "postgresMergeAndUnmerge" to ::postgresMergeAndUnmerge,
    "postgresDeniedReadCarriesItsReason" to ::postgresDeniedReadCarriesItsReason,
    "postgresEventsAfterAndAuditVerifies" to ::postgresEventsAfterAndAuditVerifies,
)
