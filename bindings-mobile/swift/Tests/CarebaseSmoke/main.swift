// Swift smoke test of the carebase binding (run by ../../swift-test.sh on
// Linux, or `swift run CarebaseSmoke` where the cdylib is on the linker path).
// Mirrors the core scenarios through `import Carebase`: async calls, native
// records/enums and the typed `CarebaseError`. Prints `N passed, M failed`.

import Carebase
import Foundation

struct Failure: Error, CustomStringConvertible {
    let description: String
}

func check(_ cond: Bool, _ what: @autoclosure () -> String) throws {
    if !cond { throw Failure(description: what()) }
}

/// Runs `body` and returns the `CarebaseError` it threw (fails otherwise).
func carebaseError(_ body: () async throws -> Void) async throws -> CarebaseError {
    do {
        try await body()
    } catch let e as CarebaseError {
        return e
    }
    throw Failure(description: "expected a CarebaseError, nothing was thrown")
}

let mrnSystem = "urn:carebase:mrn:north"
let settings: Settings = {
    var s = defaultSettings()
    s.identifierSystems = [IdentifierSystem(system: mrnSystem, checkDigit: .luhn)]
    s.mrnNamespaces = [MrnNamespace(facility: "north", system: mrnSystem, prefix: "", digits: 7, checkDigit: .luhn)]
    return s
}()

/// An instant from RFC 3339 text.
func at(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }
let desk = Actor(id: newId(), roles: [.frontDesk])
let admin = Actor(id: newId(), roles: [.admin])
let system = Actor(id: newId(), roles: [.system])
let billing = Actor(id: newId(), roles: [.billing])

func details(_ family: String, _ given: String, _ birth: String?, phone: String = "+1 555 0100") -> PatientDetails {
    PatientDetails(
        names: [HumanName(usage: .usual, family: family, given: [given])],
        gender: .female,
        birthDate: birth,
        telecom: [ContactPoint(system: .phone, value: phone, usage: .mobile)]
    )
}

func register(_ c: Clinic, _ d: PatientDetails, mrn: Bool = false) async throws -> Patient {
    try await c.registerPatient(actor: desk, new: NewPatient(details: d, mrnFacility: mrn ? "north" : nil))
}

let tests: [(String, () async throws -> Void)] = [
    ("register, get, update and a stale conflict", {
        let c = try await Clinic.open(url: "memory:", settings: settings)
        let p = try await register(c, details("Núñez", "José", "1984-07-01"), mrn: true)
        try check(p.version == 1, "version 1")
        try check(p.details.identifiers.first?.system == mrnSystem, "MRN assigned")
        let read = try await c.getPatient(actor: desk, id: p.id)
        try check(read.details.names.first?.family == "Núñez", "unicode round trip")
        var changed = read.details
        changed.language = "es-MX"
        let updated = try await c.updatePatient(actor: desk, id: p.id, expectedVersion: 1, details: changed)
        try check(updated.version == 2, "version 2")
        let e = try await carebaseError {
            _ = try await c.updatePatient(actor: desk, id: p.id, expectedVersion: 1, details: changed)
        }
        guard case .Conflict(detail: .staleVersion(_, let expected, let actual)) = e else {
            throw Failure(description: "expected a stale conflict, got \(e)")
        }
        try check(expected == 1 && actual == 2, "expected/actual versions")
    }),
    ("validation lists every field", {
        let c = try await Clinic.open(url: "memory:", settings: settings)
        var bad = details("", "", "2999-01-01")
        bad.telecom.append(ContactPoint(system: .email, value: "not-an-email", usage: nil))
        let e = try await carebaseError { _ = try await register(c, bad) }
        guard case .Validation(let fields) = e else { throw Failure(description: "got \(e)") }
        let paths = fields.map(\.field)
        try check(paths.contains("birth_date"), "birth_date in \(paths)")
        try check(paths.contains { $0.hasPrefix("names") }, "names in \(paths)")
        try check(paths.contains { $0.hasPrefix("telecom[1]") }, "telecom[1] in \(paths)")
        try check(e.code() == "validation", "code")
        try check(e.localizedDescription.contains("birth_date (in_future)"), "message names the field: \(e.localizedDescription)")
    }),
    ("search folds accents and pages with a cursor", {
        let c = try await Clinic.open(url: "memory:", settings: settings)
        let jose = try await register(c, details("Núñez", "José", "1984-07-01"))
        for i in 1...3 { _ = try await register(c, details("Pager", "P\(i)", nil)) }
        let found = try await c.searchPatients(actor: desk, query: PatientQuery(name: "jose"))
        try check(found.items.map(\.id) == [jose.id], "jose finds José")
        let first = try await c.searchPatients(actor: desk, query: PatientQuery(name: "pager", limit: 2))
        try check(first.items.count == 2 && first.nextCursor != nil, "first page")
        let second = try await c.searchPatients(
            actor: desk, query: PatientQuery(name: "pager", limit: 2, cursor: first.nextCursor))
        try check(second.items.count == 1 && second.nextCursor == nil, "last page")
    }),
    ("billing masking, a denied read with its reason, care team", {
        let c = try await Clinic.open(url: "memory:", settings: settings)
        let p = try await register(c, details("Okafor", "Amara", "1990-03-04"))
        let seen = try await c.getPatient(actor: billing, id: p.id)
        try check(seen.details.telecom.isEmpty && seen.hiddenFields.contains(.telecom), "telecom masked")
        let pr = newId()
        let doc = Actor(id: newId(), roles: [.practitioner], practitioner: pr)
        let e = try await carebaseError { _ = try await c.getPatient(actor: doc, id: p.id) }
        guard case .Forbidden(let reason) = e else { throw Failure(description: "got \(e)") }
        try check(reason.permission == .patientRead, "permission")
        try check(reason.steps.contains { $0.relationship == .careTeam && !$0.held }, "care-team step")
        let ghost = try await carebaseError { _ = try await c.assignCareTeam(actor: admin, patient: p.id, practitioner: pr) }
        guard case .NotFound(let entity, let field) = ghost else { throw Failure(description: "got \(ghost)") }
        try check(entity == "practitioner" && field == "practitioner", "an unregistered practitioner is not found")
        _ = try await c.addPractitioner(actor: admin, practitioner: NewPractitioner(id: pr, name: "Dr Care", timeZone: "UTC"))
        _ = try await c.assignCareTeam(actor: admin, patient: p.id, practitioner: pr)
        let ok = try await c.getPatient(actor: doc, id: p.id)
        try check(ok.id == p.id, "doctor reads on the care team")
    }),
    ("break the glass, merge, audit and outbox", {
        let c = try await Clinic.open(url: "sqlite::memory:", settings: settings)
        let a = try await register(c, details("Okafor", "Amara", "1990-03-04", phone: "555-0199"))
        let b = try await register(c, details("Okafor", "Amarah", "1990-03-04", phone: "(555) 0199"))
        let doc = Actor(id: newId(), roles: [.practitioner], practitioner: newId())
        let grant = try await c.requestEmergencyAccess(actor: doc, patient: a.id, reason: "unconscious")
        _ = try await c.getPatient(actor: doc, id: a.id)
        let reviewed = try await c.reviewEmergencyAccess(actor: admin, grant: grant.id, note: "ok")
        try check(reviewed.reviewedBy == admin.id, "reviewed")
        let dups = try await c.findDuplicates(actor: admin, id: a.id, limit: 5)
        try check(dups.first?.patient.id == b.id, "duplicate found")
        let merge = try await c.mergePatients(
            actor: admin, survivor: a.id, survivorVersion: a.version, merged: b.id, mergedVersion: b.version)
        let back = try await c.unmergePatients(actor: admin, mergeId: merge.id)
        try check(back.active && back.mergedInto == nil, "unmerged")
        let mrn = try await c.generateMrn(actor: desk, facility: "north")
        try check(mrn.value.count == 8, "mrn format")
        let v = try await c.verifyAudit(actor: admin)
        try check(v.ok && v.entriesChecked > 0, "audit verifies")
        let who = try await c.whoAccessed(actor: system, patient: a.id)
        try check(who.contains { $0.breakGlass }, "emergency access listed")
        let events = try await c.pollEvents(actor: system, consumer: "relay", limit: 100)
        try check(events.first?.draft.kind == "patient.registered", "outbox")
        for e in events {  // each partition acknowledged up to what was published from it
            let pos = try await c.ackEvents(actor: system, consumer: "relay", partition: e.partition, seq: e.seq)
            try check(pos == e.seq, "acked")
        }
        let rest = try await c.pollEvents(actor: system, consumer: "relay", limit: 100)
        try check(rest.isEmpty, "nothing after ack")
    }),
    ("an audit key seals the trail and a kept checkpoint anchors verification", {
        let key = Data((0..<32).map { UInt8(($0 * 37 + 11) & 0xff) })
        let c = try await Clinic.open(url: "memory:", settings: settings, auditKey: key)
        _ = try await register(c, details("Keyed", "Kim", nil))
        let kept = try await c.auditCheckpoint(actor: admin)
        try check(kept.seq == 1 && kept.keyId == c.auditKeyId(), "checkpoint signed with the key")
        let v = try await c.verifyAudit(actor: admin, trusted: kept)
        try check(v.ok && v.keyed && v.trusted == 1 && v.anchor == 1, "verified against the kept checkpoint")
        let unkeyed = try await Clinic.open(url: "memory:")
        try check(!(try await unkeyed.verifyAudit(actor: admin)).keyed, "no key: reported unkeyed")
        let e = try await carebaseError { _ = try await Clinic.open(url: "memory:", auditKey: Data([1, 2, 3])) }
        guard case .Validation = e else { throw Failure(description: "got \(e)") }
    }),
    ("free slots, booking and a double booking", {
        // System clock: a Monday in 2030 is inside the 10-year horizon; Berlin is UTC+1 in January.
        let c = try await Clinic.open(url: "memory:", settings: settings)
        let weekly = [WeeklyHours(weekday: .monday, start: "09:00", end: "17:00")]
        let doctor = try await c.addPractitioner(
            actor: admin,
            practitioner: NewPractitioner(
                name: "Dr Swift", timeZone: "Europe/Berlin",
                availability: Availability(weekly: weekly, slotMinutes: 30)))
        try check(doctor.availability.weekly.first?.start == "09:00", "local times round trip")
        let visit = try await c.addVisitType(
            actor: admin,
            visitType: NewVisitType(code: "consult", name: "Consultation", durationMinutes: 30, horizonDays: 3650))
        let query = SlotQuery(
            visitType: visit.id, practitioners: [doctor.id],
            from: at("2030-01-07T00:00:00+01:00"), to: at("2030-01-08T00:00:00+01:00"), limit: 10)
        let first = try await c.findFreeSlots(actor: desk, query: query)
        try check(first.slots.count == 10 && first.nextCursor != nil, "first page")
        try check(first.slots.first?.start == at("2030-01-07T08:00:00Z"), "09:00 Berlin first")
        var next = query
        next.cursor = first.nextCursor
        let rest = try await c.findFreeSlots(actor: desk, query: next)
        try check(rest.slots.count == 6 && rest.nextCursor == nil, "last page")
        let a = try await register(c, details("Okafor", "Amara", "1990-03-04"))
        let b = try await register(c, details("Núñez", "José", "1984-07-01"))
        let booking = BookAppointment(
            patient: a.id, practitioner: doctor.id, visitType: visit.id, start: first.slots[0].start)
        let booked = try await c.bookAppointment(actor: desk, booking: booking)
        try check(booked.status == .booked && booked.start == first.slots[0].start, "booked")
        var clash = booking
        clash.patient = b.id
        let e = try await carebaseError { _ = try await c.bookAppointment(actor: desk, booking: clash) }
        guard case .DoubleBooking(let resource, let appointment) = e else { throw Failure(description: "got \(e)") }
        try check(resource == .practitioner && appointment == booked.id, "names the first appointment")
        let bLogin = Actor(id: newId(), roles: [.patient], patient: b.id)
        let hidden = try await carebaseError { _ = try await c.bookAppointment(actor: bLogin, booking: clash) }
        guard case .DoubleBooking(_, let none) = hidden else { throw Failure(description: "got \(hidden)") }
        try check(none == nil, "another patient's appointment is not named")
        let cancelled = try await c.cancelAppointment(
            actor: desk, id: booked.id, expectedVersion: booked.version, cancel: CancelAppointment(reason: .patMv))
        try check(cancelled.cancellation?.reason == .patMv, "a closed cancellation reason")
    }),
    ("a check-in starts the appointment's encounter, linked both ways, once", {
        let c = try await Clinic.open(url: "memory:", settings: settings)
        let weekly = [WeeklyHours(weekday: .monday, start: "09:00", end: "17:00")]
        let doctor = try await c.addPractitioner(
            actor: admin,
            practitioner: NewPractitioner(
                name: "Dr Swift", timeZone: "Europe/Berlin",
                availability: Availability(weekly: weekly, slotMinutes: 30)))
        let visit = try await c.addVisitType(
            actor: admin,
            visitType: NewVisitType(code: "consult", name: "Consultation", durationMinutes: 30, horizonDays: 3650))
        let a = try await register(c, details("Okafor", "Amara", "1990-03-04"))
        let booked = try await c.bookAppointment(
            actor: desk,
            booking: BookAppointment(
                patient: a.id, practitioner: doctor.id, visitType: visit.id, start: at("2030-01-07T08:00:00Z")))
        let arrived = try await c.checkInAppointment(
            actor: desk, appointment: booked.id, expectedVersion: booked.version, checkIn: CheckIn())
        guard let encounter = arrived.encounter, arrived.status == .arrived else {
            throw Failure(description: "not checked in: \(arrived.status)")
        }
        let system = Actor(id: newId(), roles: [.system])
        let history = try await c.entryHistory(actor: system, patient: a.id, entry: encounter)
        guard case .encounter(let e) = history[0].body else { throw Failure(description: "got \(history[0].body)") }
        try check(e.appointment == booked.id, "the encounter names its appointment")
        let again = try await carebaseError {
            _ = try await c.checkInAppointment(
                actor: desk, appointment: booked.id, expectedVersion: booked.version, checkIn: CheckIn())
        }
        guard case .Conflict = again else { throw Failure(description: "got \(again)") }
    }),
    ("a batch with one bad patient registers the others and refuses it with its field", {
        let c = try await Clinic.open(url: "memory:", settings: settings)
        let batch = try await c.registerPatients(actor: desk, patients: [
            NewPatient(details: details("Abara", "Ann", "1980-01-01"), mrnFacility: nil),
            NewPatient(details: details("Later", "Ann", "3000-01-01"), mrnFacility: nil),
            NewPatient(details: details("Bello", "Ann", "1980-01-01"), mrnFacility: nil),
        ])
        try check(batch.registered == 2 && batch.refused == 1, "two registered, one refused")
        try check(batch.answers[2].patient?.details.names.first?.family == "Bello", "input order")
        let refusal = batch.answers[1].refusal
        try check(batch.answers[1].patient == nil && refusal?.code == "validation", "refused as validation")
        try check(refusal?.fields.map(\.field) == ["birth_date"], "names birth_date")
    }),
    ("a document crosses as Data and reads back identical; too large and forbidden are typed", {
        let c = try await Clinic.open(url: "memory:", settings: settings)
        let p = try await register(c, details("Letter", "Ada", "1984-07-01"))
        let scan = Data("%PDF-1.7 a referral letter".utf8) + Data([0, 255, 16])
        let entry = try await c.attachDocument(actor: system, patient: p.id, effectiveAt: Date(), encounter: nil,
                                               contentType: "application/pdf", title: "Referral", bytes: scan)
        let read = try await c.readDocument(actor: system, patient: p.id, entry: entry.id)
        try check(read.bytes == scan, "identical bytes")
        let big = try await carebaseError {
            _ = try await c.attachDocument(actor: system, patient: p.id, effectiveAt: Date(), encounter: nil,
                                           contentType: "application/pdf", title: nil, bytes: Data(count: (20 << 20) + 1))
        }
        guard case .Validation(let fields) = big, fields.first?.code == "too_large" else {
            throw Failure(description: "got \(big)")
        }
        let denied = try await carebaseError { _ = try await c.readDocument(actor: billing, patient: p.id, entry: entry.id) }
        guard case .Forbidden = denied else { throw Failure(description: "got \(denied)") }
    }),
    ("bad input is a typed error, and description is redacted", {
        let c = try await Clinic.open(url: "memory:", settings: settings)
        let big = String(repeating: "x", count: 1 << 20)
        for input in ["", "1990-13-45", "2999-01-01"] {
            let e = try await carebaseError { _ = try await register(c, details("A", "B", input)) }
            guard case .Validation = e else { throw Failure(description: "got \(e)") }
        }
        let store = try await carebaseError { _ = try await Clinic.open(url: "ftp://x") }
        guard case .UnsupportedStore(let scheme) = store else { throw Failure(description: "got \(store)") }
        try check(scheme == "ftp", "scheme")
        let policy = try await carebaseError { _ = try policyFromToml(text: big) }
        guard case .InvalidPolicy = policy else { throw Failure(description: "got \(policy)") }
        let p = try await register(c, details("Okafor", "Amara", "1990-03-04"))
        let text = "\(p) \(p.details)"
        try check(!text.contains("Okafor") && !text.contains("1990"), "redacted: \(text)")
    }),
    ("a FHIR observation imports and exports unchanged but its id; a weight in cm is refused on its FHIR path", {
        let c = try await Clinic.open(url: "memory:", settings: settings)
        let p = try await register(c, details("Okafor", "Amara", "1990-03-04"))
        func weight(_ unit: String) -> String {
            """
            {"resourceType": "Observation", "status": "final", "subject": {"reference": "Patient/pat-1"},
             "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}]}],
             "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]}, "effectiveDateTime": "2026-11-20",
             "valueQuantity": {"value": 72.5, "unit": "\(unit)", "system": "http://unitsofmeasure.org", "code": "\(unit)"}}
            """
        }
        let refs = ["Patient/pat-1": p.id.uuidString.lowercased()]
        let entry = try await c.importEntryFhir(actor: system, patient: p.id, import: FhirEntryImport(resource: weight("kg"), references: refs))
        let exported = try await c.exportEntryFhir(actor: system, patient: p.id, entry: entry.id)
        let read = { (text: String) in try JSONSerialization.jsonObject(with: Data(text.utf8)) as! NSDictionary }
        let expected = try read(weight("kg")).mutableCopy() as! NSMutableDictionary
        expected["id"] = "\(entry.id)"
        try check(try read(exported) == expected, "the resource but for its id: \(exported)")
        let e = try await carebaseError {
            _ = try await c.importEntryFhir(actor: system, patient: p.id, import: FhirEntryImport(resource: weight("cm"), references: refs))
        }
        guard case .Validation(let fields) = e else { throw Failure(description: "got \(e)") }
        try check(fields.map(\.field) == ["valueQuantity.code"] && fields.map(\.code) == ["invalid_unit"], "fields \(fields)")
    }),
]

var passed = 0
var failed = 0
for (name, test) in tests {
    do {
        try await test()
        passed += 1
        print("PASS \(name)")
    } catch {
        failed += 1
        print("FAIL \(name): \(error)")
    }
}
print("\(passed) passed, \(failed) failed")
exit(failed == 0 ? 0 : 1)
