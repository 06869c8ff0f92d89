{{/* The chart's name, or nameOverride. */}}
{{- define "sscdpa.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The DaemonSets' name: fullnameOverride, else the release name when it contains the chart's
name, else <release>-<name> (the Go chart's rule, so upgrades keep the same objects).
*/}}
{{- define "sscdpa.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Labels on every object, as in the Go chart (the app label is the selector). */}}
{{- define "sscdpa.labels" -}}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service | quote }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: "{{ .Chart.Name }}-{{ .Chart.Version | replace "+" "_" }}"
app.kubernetes.io/name: {{ include "sscdpa.name" . | quote }}
app: {{ include "sscdpa.name" . }}
{{- end -}}

{{/*
The provider's flags shared by both operating systems, from the Go chart's values. Called with
(dict "root" $ "os" .Values.linux).
*/}}
{{- define "sscdpa.args" -}}
{{- $root := .root -}}
{{- if $root.Values.logFormatJSON }}
- --log-format-json={{ $root.Values.logFormatJSON }}
{{- end }}
{{- if $root.Values.logVerbosity }}
- -v={{ $root.Values.logVerbosity }}
{{- end }}
- --construct-pem-chain={{ $root.Values.constructPEMChain }}
{{- if .os.customUserAgent }}
- --custom-user-agent={{ .os.customUserAgent }}
{{- end }}
- --healthz-port={{ .os.healthzPort }}
- --healthz-path={{ .os.healthzPath }}
- --healthz-timeout={{ .os.healthzTimeout }}
{{- if $root.Values.writeCertAndKeyInSeparateFiles }}
- --write-cert-and-key-in-separate-files={{ $root.Values.writeCertAndKeyInSeparateFiles }}
{{- end }}
{{- if $root.Values.tokenProxyURL }}
- --token-proxy-url={{ $root.Values.tokenProxyURL }}
{{- end }}
{{- if $root.Values.sniName }}
- --sni-name={{ $root.Values.sniName }}
{{- end }}
- --prometheus-port={{ $root.Values.metricsAddr }}
- --shutdown-grace-period={{ .os.shutdownGracePeriod }}
{{- end -}}

{{/* terminationGracePeriodSeconds: the shutdown grace period (a Go duration) plus 5 s. */}}
{{- define "sscdpa.terminationGracePeriodSeconds" -}}
{{- $grace := . | toString -}}
{{- $seconds := 25 -}}
{{- if regexMatch "^[0-9]+s$" $grace -}}
{{- $seconds = trimSuffix "s" $grace | atoi -}}
{{- else if regexMatch "^[0-9]+m$" $grace -}}
{{- $seconds = mul (trimSuffix "m" $grace | atoi) 60 -}}
{{- else -}}
{{- fail (printf "shutdownGracePeriod %q: use whole seconds or minutes, e.g. 25s or 1m" $grace) -}}
{{- end -}}
{{- add $seconds 5 -}}
{{- end -}}
