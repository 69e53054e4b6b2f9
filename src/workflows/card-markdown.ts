import type { CardView, MetricSource, ModelVersion, SignatureField } from '../core/index.ts';

/** User text inside Markdown: no line breaks, no characters that start markup or break a table. */
const inline = (text: string): string => text.replace(/\r?\n|\r/g, ' ').replace(/([\\`*_[\]|<>])/g, '\\$1');
const code = (text: string): string => {
  const flat = text.replace(/\r?\n|\r/g, ' ');
  const fence = '`'.repeat(Math.max(0, ...[...flat.matchAll(/`+/g)].map((m) => m[0].length)) + 1);
  return `${fence}${fence.length > 1 ? ' ' : ''}${flat}${fence.length > 1 ? ' ' : ''}${fence}`;
};
const bullet = (label: string, value: string | number | null): string | null => (value === null ? null : `- ${label}: ${typeof value === 'number' ? value : inline(value)}`);

function fieldTable(fields: SignatureField[]): string[] {
  if (!fields.length) return ['(none)'];
  return ['| Name | Type | Optional |', '|---|---|---|', ...fields.map((f) => `| ${inline(f.name)} | ${inline(f.type)} | ${f.optional ? 'yes' : 'no'} |`)];
}

function section(title: string, lines: (string | null)[]): string[] {
  const kept = lines.filter((l): l is string => l !== null);
  return kept.length ? ['', `## ${title}`, '', ...kept] : [];
}

/**
 * The card as Markdown in the tutorial's description layout ("# Name vN", "## Training Info" with
 * "- Framework: x" lines, ...), for READMEs and the console. Its bullet lines read back as a card.
 */
export function renderCardMarkdown(version: ModelVersion, card: CardView, metrics: { metrics: Record<string, number>; sources?: Record<string, MetricSource> }): string {
  const { training, deployment, lineage } = card;
  const metricNames = Object.keys(metrics.metrics).sort();
  const lines: string[] = [
    `# ${inline(version.name)} v${version.version}`,
    '',
    `- Stage: ${version.stage}`,
    ...(version.semver ? [`- Semver: ${version.semver}`] : []),
    `- Created: ${version.createdAt.toISOString()}${version.createdBy ? ` by ${inline(version.createdBy)}` : ''}`,
    ...(version.source ? [`- Source: ${code(version.source)}`] : []),
    ...section(
      'Metrics',
      metricNames.length
        ? ['| Metric | Value | Source |', '|---|---|---|', ...metricNames.map((m) => `| ${inline(m)} | ${metrics.metrics[m]} | ${metrics.sources?.[m] ?? 'RUN'} |`)]
        : [],
    ),
    ...section('Training Info', [
      bullet('Framework', training.framework),
      bullet('Algorithm', training.algorithm),
      bullet('Training Data', training.trainingData),
      bullet('Data Version', training.dataVersion),
      bullet('Code Version', training.codeVersion),
      ...Object.keys(training.hyperparameters)
        .sort()
        .map((k, i) => `${i === 0 ? '- Hyperparameters:\n' : ''}  - ${inline(k)} = ${inline(training.hyperparameters[k]!)}`),
    ]),
    ...(card.features ? ['', '## Features', '', '### Inputs', '', ...fieldTable(card.features.inputs), '', '### Outputs', '', ...fieldTable(card.features.outputs)] : []),
    ...section('Dependencies', card.dependencies.map((d) => `- ${inline(d.name)}: ${inline(d.version)}`)),
    ...section('Deployment', [
      bullet('Serving Framework', deployment.servingFramework),
      bullet('Endpoint', deployment.endpoint),
      bullet('Latency P99 (ms)', deployment.latencyP99Ms),
      bullet('Throughput (rps)', deployment.throughputRps),
    ]),
    ...section('Lineage', [bullet('Run', lineage.runId), bullet('Parent Version', lineage.parentVersion)]),
  ];
  return `${lines.join('\n')}\n`;
}
