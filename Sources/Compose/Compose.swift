/// Compose file model and planner. Filled by the Compose stacks issue; the module exists so the dependency graph of the architecture map holds from the start.
public enum ComposeModule { public static let supportedSpec = "compose-spec" }
