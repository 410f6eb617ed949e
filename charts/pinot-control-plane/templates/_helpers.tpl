{{/*
Names and labels are fixed, not derived from the release name: the CRDs and CompositeControllers
are cluster-wide, so one release per cluster, and the objects are the ones metacontroller/ makes.
*/}}
{{- define "pcp.name" -}}
pinot-control-plane-hooks
{{- end }}

{{- define "pcp.selectorLabels" -}}
app.kubernetes.io/component: hooks
app.kubernetes.io/name: pinot-control-plane
{{- end }}

{{- define "pcp.labels" -}}
{{ include "pcp.selectorLabels" . }}
app.kubernetes.io/part-of: pinot-control-plane
{{- end }}

{{- define "pcp.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/* One NetworkPolicy peer: the pods (all when no labels are given) of one namespace. */}}
{{- define "pcp.peer" -}}
- namespaceSelector:
    matchLabels:
      kubernetes.io/metadata.name: {{ .namespace }}
  {{- with .podLabels }}
  podSelector:
    matchLabels:
      {{- toYaml . | nindent 6 }}
  {{- end }}
{{- end }}

{{/* The hook Service's coordinates, as every CompositeController webhook names them. */}}
{{- define "pcp.webhook" -}}
service:
  name: {{ include "pcp.name" .root }}
  namespace: {{ .root.Release.Namespace }}
  port: 80
path: {{ .path }}
timeout: 10s
{{- end }}
