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

/** The newest sequence number of each of the 16 partitions, found with O(log n) probes each. */
suspend fun pgNewestPosition(c: Clinic): MutableList<Long> {
    val end = Long.MAX_VALUE // past every event of a partition
    return MutableList(16) { 0L }.also { position ->
        for (p in 0 until 16) {
            suspend fun anyAfter(seq: Long): Boolean {
                val only = MutableList(16) { end }
                only[p] = seq
                return c.eventsAfter(system, only, 1).isNotEmpty()
            }
            var lo = 0L
            var hi = 1L
            while (anyAfter(hi)) { lo = hi; hi *= 2L }
            while (hi - lo > 1L) {
                val mid = (lo + hi) / 2L
                if (anyAfter(mid)) lo = mid else hi = mid
            }
            position[p] = if (anyAfter(lo)) hi else lo
        }
    }
}

suspend fun postgresEventsAfterAndAuditVerifies() = withPg { c ->
    val after = pgNewestPosition(c)
    val mine = (0 until 3).map { pgRegister(c, "Ev", "E$it").id }
    val found = mutableListOf<OutboxEvent>()
    while (true) {
        val batch = c.eventsAfter(system, after, 1000)
        if (batch.isEmpty()) break
        found += batch.filter { it.draft.patient in mine }
        for (e in batch) after[e.partition.toInt()] = e.seq
    }
    eq(List(3) { "patient.registered" }, found.map { it.draft.kind }, "kinds")
    eq(mine.toSet(), found.map { it.draft.patient }.toSet(), "this run's patients")

    val v = c.verifyAudit(admin)
    check(v.ok) { "chains intact: ${v.problem}" }
    eq(null, v.problem, "no problem")
    check(v.chainsChecked >= 3L) { "walked ${v.chainsChecked}" }
}

/** Port 1 (tcpmux): no server listens there on any machine these tests run on. */
suspend fun aPostgresServerNobodyListensOnIsAnUnavailableStorageFailure() {
    val e = throws<CarebaseException.Storage> {
        Clinic.open("postgres://carebase:secret@127.0.0.1:1/carebase?acquire_timeout=1")
    }
    eq(StorageKind.UNAVAILABLE, e.kind, "kind")
    check(!(e.message ?: "").contains("secret")) { "no password in the message" }
}

val postgresTests: List<Pair<String, suspend () -> Unit>> = listOf(
    "aPostgresServerNobodyListensOnIsAnUnavailableStorageFailure" to ::aPostgresServerNobodyListensOnIsAnUnavailableStorageFailure,
    "postgresRegisterGetUpdateAndStaleConflict" to ::postgresRegisterGetUpdateAndStaleConflict,
    "postgresSearchPagesAndFoldsAccents" to ::postgresSearchPagesAndFoldsAccents,
    "postgresConcurrentMrnsAndDuplicateIdentifier" to ::postgresConcurrentMrnsAndDuplicateIdentifier,
    "postgresMergeAndUnmerge" to ::postgresMergeAndUnmerge,
    "postgresDeniedReadCarriesItsReason" to ::postgresDeniedReadCarriesItsReason,
    "postgresEventsAfterAndAuditVerifies" to ::postgresEventsAfterAndAuditVerifies,
)
