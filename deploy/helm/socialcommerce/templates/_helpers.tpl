{{/* Labels every object of the release carries. */}}
{{- define "sc.labels" -}}
app.kubernetes.io/part-of: socialcommerce
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* The selector of one component (a service's name, or "gateway"); args: root, name. */}}
{{- define "sc.selector" -}}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/name: {{ .name }}
{{- end -}}

{{/* The release's image for the services. */}}
{{- define "sc.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* One service's settings: the defaults overlaid with its own entry; args: root, name. */}}
{{- define "sc.config" -}}
{{- $own := index .root.Values.services .name | default dict -}}
{{- toYaml (mergeOverwrite (deepCopy .root.Values.defaults) (deepCopy $own)) -}}
{{- end -}}

{{/* A value from the release's Secret; args: root, key. */}}
{{- define "sc.secretEnv" -}}
- name: {{ .key }}
  valueFrom:
    secretKeyRef: { name: {{ .root.Values.existingSecret }}, key: {{ .key }} }
{{- end -}}

{{/* The environment every container of a service gets (its pods and its migration Job). */}}
{{- define "sc.env" -}}
{{- $root := .root -}}
{{- $cfg := .cfg -}}
{{- include "sc.secretEnv" (dict "root" $root "key" (printf "%s_DATABASE_URL" (upper .name))) }}
- name: DATABASE_URL
  value: $({{ upper .name }}_DATABASE_URL)
{{ include "sc.secretEnv" (dict "root" $root "key" "JWT_SECRET") }}
{{ include "sc.secretEnv" (dict "root" $root "key" "CLAIM_TOKEN_SECRET") }}
{{- if eq .name "webhooks" }}
{{ include "sc.secretEnv" (dict "root" $root "key" "ENDPOINT_SECRET_KEY") }}
{{- end }}
{{- if eq .name "discovery" }}
{{ include "sc.secretEnv" (dict "root" $root "key" "AD_TOKEN_SECRET") }}
{{- end }}
{{- if eq .name "fulfillment" }}
{{ include "sc.secretEnv" (dict "root" $root "key" "CARRIER_WEBHOOK_SECRET") }}
{{- end }}
- { name: REDIS_URL, value: {{ printf "%s/%v" $root.Values.redis.url $cfg.redisDb | quote }} }
- { name: KAFKA_BOOTSTRAP_SERVERS, value: {{ $root.Values.kafka.bootstrapServers | quote }} }
- { name: KAFKA_IDEMPOTENT_PRODUCER, value: {{ $root.Values.kafka.idempotentProducer | quote }} }
- { name: KAFKA_TOPIC_PARTITIONS, value: {{ $root.Values.kafka.partitions | quote }} }
- { name: ROOT_PATH, value: {{ printf "/%s" .name | quote }} }
- { name: LOG_LEVEL, value: {{ $root.Values.logLevel | quote }} }
- { name: HTTP_HOST, value: "0.0.0.0" }
- { name: HTTP_PORT, value: "8000" }
{{- with $root.Values.otel.endpoint }}
- { name: OTEL_EXPORTER_OTLP_ENDPOINT, value: {{ . | quote }} }
{{- end }}
{{- range $key, $value := $cfg.env }}
- { name: {{ $key }}, value: {{ $value | quote }} }
{{- end }}
{{- end -}}

{{/* The pod security every container of the release runs with. */}}
{{- define "sc.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities: { drop: [ALL] }
{{- end -}}

{{/* Egress to the cluster's DNS. */}}
{{- define "sc.dnsEgress" -}}
- to:
    - namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: kube-system } }
      podSelector: { matchLabels: { k8s-app: kube-dns } }
  ports: [{ port: 53, protocol: UDP }, { port: 53, protocol: TCP }]
{{- end -}}

{{/* Egress to one external server (networkPolicy.kafka and the like); args: server. */}}
{{- define "sc.serverEgress" -}}
- to:
    {{- toYaml .server.to | nindent 4 }}
  ports: [{ port: {{ .server.port }}, protocol: TCP }]
{{- end -}}
