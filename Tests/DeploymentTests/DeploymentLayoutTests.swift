import Testing

@Suite struct DeploymentLayoutTests {}
