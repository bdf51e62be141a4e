package argo

// The subset of the Kubernetes and Argo Workflows (argoproj.io/v1alpha1)
// schemas the renderer writes; field names are Argo's. Tests decode the
// output strictly into Argo's own Go types (deploy/argotest).

type meta struct {
	Name      string            `yaml:"name"`
	Namespace string            `yaml:"namespace,omitempty"`
	Labels    map[string]string `yaml:"labels,omitempty"`
}

type configMap struct {
	APIVersion string            `yaml:"apiVersion"`
	Kind       string            `yaml:"kind"`
	Metadata   meta              `yaml:"metadata"`
	Data       map[string]string `yaml:"data"`
}

type workflowTemplate struct {
	APIVersion string       `yaml:"apiVersion"`
	Kind       string       `yaml:"kind"`
	Metadata   meta         `yaml:"metadata"`
	Spec       workflowSpec `yaml:"spec"`
}

type workflowSpec struct {
	Entrypoint         string     `yaml:"entrypoint"`
	ServiceAccountName string     `yaml:"serviceAccountName,omitempty"`
	Volumes            []volume   `yaml:"volumes"`
	Templates          []template `yaml:"templates"`
}

type volume struct {
	Name      string `yaml:"name"`
	ConfigMap struct {
		Name string `yaml:"name"`
	} `yaml:"configMap"`
}

type template struct {
	Name          string     `yaml:"name"`
	Inputs        *inputs    `yaml:"inputs,omitempty"`
	DAG           *dag       `yaml:"dag,omitempty"`
	Container     *container `yaml:"container,omitempty"`
	RetryStrategy *retry     `yaml:"retryStrategy,omitempty"`
}

type inputs struct {
	Parameters []parameter `yaml:"parameters"`
}

type parameter struct {
	Name    string `yaml:"name"`
	Value   string `yaml:"value,omitempty"`
	Default string `yaml:"default,omitempty"`
}

type dag struct {
	Tasks []task `yaml:"tasks"`
}

type task struct {
	Name         string    `yaml:"name"`
	Template     string    `yaml:"template"`
	Dependencies []string  `yaml:"dependencies,omitempty"`
	Arguments    arguments `yaml:"arguments"`
	WithSequence *sequence `yaml:"withSequence,omitempty"`
}

type arguments struct {
	Parameters []parameter `yaml:"parameters"`
}

type sequence struct {
	Count string `yaml:"count"`
}

type container struct {
	Image           string        `yaml:"image"`
	Command         []string      `yaml:"command"`
	Args            []string      `yaml:"args"`
	Env             []envVar      `yaml:"env"`
	Resources       resources     `yaml:"resources"`
	VolumeMounts    []volumeMount `yaml:"volumeMounts"`
	SecurityContext struct {
		RunAsNonRoot             bool `yaml:"runAsNonRoot"`
		AllowPrivilegeEscalation bool `yaml:"allowPrivilegeEscalation"`
	} `yaml:"securityContext"`
}

type envVar struct {
	Name      string     `yaml:"name"`
	Value     string     `yaml:"value,omitempty"`
	ValueFrom *valueFrom `yaml:"valueFrom,omitempty"`
}

type valueFrom struct {
	SecretKeyRef struct {
		Name string `yaml:"name"`
		Key  string `yaml:"key"`
	} `yaml:"secretKeyRef"`
}

type resources struct {
	Requests map[string]string `yaml:"requests,omitempty"`
	Limits   map[string]string `yaml:"limits,omitempty"`
}

type volumeMount struct {
	Name      string `yaml:"name"`
	MountPath string `yaml:"mountPath"`
	ReadOnly  bool   `yaml:"readOnly"`
}

type retry struct {
	Limit       int     `yaml:"limit"`
	RetryPolicy string  `yaml:"retryPolicy"`
	Expression  string  `yaml:"expression"`
	Backoff     backoff `yaml:"backoff"`
}

type backoff struct {
	Duration    string `yaml:"duration"`
	Factor      int    `yaml:"factor"`
	MaxDuration string `yaml:"maxDuration"`
}

type cronWorkflow struct {
	APIVersion string   `yaml:"apiVersion"`
	Kind       string   `yaml:"kind"`
	Metadata   meta     `yaml:"metadata"`
	Spec       cronSpec `yaml:"spec"`
}

type cronSpec struct {
	Schedules         []string `yaml:"schedules"` // Argo >= 3.6`
	ConcurrencyPolicy string   `yaml:"concurrencyPolicy"`
	WorkflowSpec      struct {
		WorkflowTemplateRef struct {
			Name string `yaml:"name"`
		} `yaml:"workflowTemplateRef"`
	} `yaml:"workflowSpec"`
}
