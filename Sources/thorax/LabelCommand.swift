import ArgumentParser

/// `thorax label`: labels reports (the default) or scores labels against a gold standard.
struct LabelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "label",
        abstract: "Mine the 14 finding labels from free-text radiology reports, or score them (label eval).",
        discussion: """
        Examples:
          thorax label ~/openi/reports --output labels.csv
          thorax label eval --gold ~/openi/gold.csv --pred labels.csv
        """,
        subcommands: [LabelReportsCommand.self, LabelEvalCommand.self],
        defaultSubcommand: LabelReportsCommand.self
    )
}
