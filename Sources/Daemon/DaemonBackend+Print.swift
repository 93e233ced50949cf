import CardReading
import ESCPOS
import Foundation
import Ledger
import LocalAPI
import PrintQueue

/// `GET /v1/printers`, `POST /v1/print`, `GET|DELETE /v1/print/jobs/{id}`.
extension DaemonBackend {
    func printers() async -> PrintersReply {
        PrintersReply(printers: pipeline.spooler.map { [$0.info] } ?? [])
    }

    func openDrawer() async throws(APIError) -> DrawerInfo {
        guard let spooler = pipeline.spooler else { throw APIError(.conflict, "no_printer", "no printer is configured (printer.target)") }
        return try await spooler.openDrawer()
    }

    var receiptShop: ReceiptShop {
        ReceiptShop(name: config.shop.name, headerLines: config.shop.header, footerLines: config.shop.footer, terminal: config.shop.terminal)
    }

    func print(_ request: PrintRequest) async throws(APIError) -> PrintJobReply {
        guard let spooler = pipeline.spooler else { throw APIError(.conflict, "no_printer", "no printer is configured (printer.target)") }
        let bytes: [UInt8]
        let kind: String
        if let raw = request.raw {
            bytes = raw
            kind = "raw"
        } else {
            let document = try await document(for: request)
            bytes = pipeline.bytes(of: document.encodeReporting(shop: receiptShop, profile: spooler.config.profile, locale: config.shop.locale, templates: config.receiptTemplates))
            kind = request.template ?? "receipt"
        }
        guard let id = spooler.submit(bytes, kind: kind) else {
            throw APIError(.serviceUnavailable, "print_queue_unavailable", "the print queue could not store the job; see the daemon's log")
        }
        return try storedJob(id: id)
    }

    /// The receipt a request asks for: its data as given, or built from the ledger.
    func document(for request: PrintRequest) async throws(APIError) -> ReceiptDocument {
        let template = request.template ?? ""
        guard ReceiptDocument.templates.contains(template) else {
            throw APIError(.badRequest, "unknown_template", "\(ReceiptDocument.DataError.unknownTemplate(template))")
        }
        if let data = request.data { return try Self.decodeDocument(template: template, json: data) }
        let now = CardPipeline.receiptDate(config.shop.locale)
        switch template {
        case "transaction":
            guard let id = request.transactionId else { throw APIError(.badRequest, "missing_field", "the transaction template needs transactionId or data") }
            let t = try await transaction(id: id)
            return .transaction(.init(
                kind: t.kind, transactionId: String(t.transactionId), maskedCardNumber: t.maskedCardNumber,
                amount: t.transactionAmount.display, tip: t.tip.minor != 0 ? t.tip.display : nil,
                previousBalance: t.previousBalance.display, newBalance: t.currentBalance.display, authCode: t.authCode,
                reference: t.externalTransactionId, fromCard: t.exchangedFrom?.maskedCardNumber, printedAt: now))
        case "hold":
            guard let id = request.holdId else { throw APIError(.badRequest, "missing_field", "the hold template needs holdId or data") }
            let h = try await hold(id: id)
            return .hold(.init(holdId: h.id, maskedCardNumber: h.maskedCardNumber, amount: h.amount.display, status: h.status, expiresAt: h.expiresAt, printedAt: now))
        default:
            guard request.cardInfo != nil || request.readId != nil else {
                throw APIError(.badRequest, "missing_field", "the balance template needs cardInfo, readId or data")
            }
            let card = try resolveCard(request.cardInfo, readId: request.readId)
            let state: GiftCardState
            do { state = try await ledger.balance(of: card, context: RequestContext(terminalId: config.shop.terminal)) } catch { throw Self.apiError(error) }
            if let id = request.readId { pipeline.reads.consume(id) }
            return .balance(.init(
                maskedCardNumber: state.maskedNumber, balance: config.shop.locale.money(state.balance),
                cardStatus: state.status == .active ? nil : state.status.rawValue, printedAt: now))
        }
    }

    /// A template's data from JSON, refusing unknown fields and naming a missing one.
    static func decodeDocument(template: String, json: Data) throws(APIError) -> ReceiptDocument {
        let keys = ((try? JSONSerialization.jsonObject(with: json)) as? [String: Any])?.keys.map { $0 } ?? []
        do {
            // A card number the POS put in the data is printed masked, as every receipt's is.
            switch try ReceiptDocument.make(template: template, keys: keys, decode: { try JSONDecoder().decode($0, from: json) }) {
            case .balance(var d):
                d.maskedCardNumber = PAN.mask(d.maskedCardNumber)
                return .balance(d)
            case .transaction(var d):
                d.maskedCardNumber = PAN.mask(d.maskedCardNumber)
                d.fromCard = d.fromCard.map(PAN.mask)
                return .transaction(d)
            case .hold(var d):
                d.maskedCardNumber = PAN.mask(d.maskedCardNumber)
                return .hold(d)
            }
        } catch {
            throw APIError(.badRequest, error.code, "data: \(error)")
        }
    }

    func storedJob(id: Int) throws(APIError) -> PrintJobReply {
        guard let spooler = pipeline.spooler else { throw APIError(.conflict, "no_printer", "no printer is configured (printer.target)") }
        guard let job = spooler.job(id: id) else { throw APIError(.notFound, "job_not_found", "print job \(id) does not exist") }
        return Self.jobReply(job)
    }

    func printJob(id: Int) async throws(APIError) -> PrintJobReply { try storedJob(id: id) }

    func cancelPrintJob(id: Int) async throws(APIError) -> PrintJobReply {
        guard let spooler = pipeline.spooler else { throw APIError(.conflict, "no_printer", "no printer is configured (printer.target)") }
        guard let job = spooler.job(id: id) else { throw APIError(.notFound, "job_not_found", "print job \(id) does not exist") }
        guard job.state == .queued, spooler.cancel(id: id) else {
            throw APIError(.conflict, "job_not_queued", "print job \(id) is \(job.state.rawValue); only a queued job can be cancelled")
        }
        return try storedJob(id: id)
    }

    static func jobReply(_ job: PrintJob) -> PrintJobReply {
        let f = ISO8601DateFormatter()
        return PrintJobReply(
            jobId: Int(job.id), printer: job.printer, kind: job.kind, state: job.state.rawValue,
            bytes: job.state == .queued ? job.bytes.count : nil, attempts: job.attempts, lastError: job.lastError,
            createdAt: f.string(from: job.createdAt), doneAt: job.doneAt.map { f.string(from: $0) })
    }
}
