-- Scale's tables as Scale's own migrations left them, written from ../shared/spec/schema.md (not from our
-- migrations): its columns and types, `json` for JSON, NOT NULL where the spec does not say null, unique and
-- foreign-key constraints, its indexes, and Scale's django_migrations rows of the same era.

CREATE TABLE django_migrations (
    id serial PRIMARY KEY, app varchar(255) NOT NULL, name varchar(255) NOT NULL,
    applied timestamp with time zone NOT NULL);
CREATE TABLE django_content_type (
    id serial PRIMARY KEY, app_label varchar(100) NOT NULL, model varchar(100) NOT NULL,
    CONSTRAINT django_content_type_app_label_model_uniq UNIQUE (app_label, model));

CREATE TABLE error (
    id serial PRIMARY KEY,
    name varchar(50) NOT NULL UNIQUE,
    title varchar(50) NULL,
    description varchar(250) NULL,
    category varchar(50) NOT NULL,
    created timestamp with time zone NOT NULL,
    last_modified timestamp with time zone NOT NULL);
CREATE INDEX scale_error_category ON error (category);

CREATE TABLE node (
    id serial PRIMARY KEY,
    hostname varchar(250) NOT NULL UNIQUE,
    port integer NOT NULL,
    slave_id varchar(250) NOT NULL UNIQUE,
    pause_reason varchar(250) NULL,
    is_paused boolean NOT NULL,
    is_paused_errors boolean NOT NULL,
    is_active boolean NOT NULL,
    created timestamp with time zone NOT NULL,
    archived timestamp with time zone NULL,
    last_offer timestamp with time zone NULL,
    last_modified timestamp with time zone NOT NULL);

CREATE TABLE trigger_rule (
    id serial PRIMARY KEY,
    type varchar(50) NOT NULL,
    name varchar(50) NOT NULL,
    configuration json NOT NULL,
    is_active boolean NOT NULL,
    created timestamp with time zone NOT NULL,
    archived timestamp with time zone NULL,
    last_modified timestamp with time zone NOT NULL);
CREATE INDEX scale_trigger_rule_type ON trigger_rule (type);
CREATE INDEX scale_trigger_rule_is_active ON trigger_rule (is_active);

CREATE TABLE trigger_event (
    id serial PRIMARY KEY,
    type varchar(50) NOT NULL,
    rule_id integer NULL REFERENCES trigger_rule (id) DEFERRABLE INITIALLY DEFERRED,
    description json NOT NULL,
    occurred timestamp with time zone NOT NULL);
CREATE INDEX scale_trigger_event_type ON trigger_event (type);
CREATE INDEX scale_trigger_event_rule ON trigger_event (rule_id);
CREATE INDEX scale_trigger_event_occurred ON trigger_event (occurred);

CREATE TABLE job_type (
    id serial PRIMARY KEY,
    name varchar(50) NOT NULL,
    version varchar(50) NOT NULL,
    title varchar(50) NULL,
    description text NULL,
    category varchar(50) NULL,
    author_name varchar(50) NULL,
    author_url text NULL,
    is_system boolean NOT NULL,
    is_long_running boolean NOT NULL,
    is_active boolean NOT NULL,
    is_operational boolean NOT NULL,
    is_paused boolean NOT NULL,
    requires_cleanup boolean NOT NULL,
    uses_docker boolean NOT NULL,
    docker_privileged boolean NOT NULL,
    docker_image varchar(500) NULL,
    interface json NOT NULL,
    docker_params json NULL,
    revision_num integer NOT NULL,
    error_mapping json NOT NULL,
    trigger_rule_id integer NULL REFERENCES trigger_rule (id) DEFERRABLE INITIALLY DEFERRED,
    priority integer NOT NULL,
    max_scheduled integer NULL,
    timeout integer NOT NULL,
    max_tries integer NOT NULL,
    cpus_required double precision NOT NULL,
    mem_required double precision NOT NULL,
    disk_out_const_required double precision NOT NULL,
    disk_out_mult_required double precision NOT NULL,
    icon_code varchar(20) NULL,
    created timestamp with time zone NOT NULL,
    archived timestamp with time zone NULL,
    paused timestamp with time zone NULL,
    last_modified timestamp with time zone NOT NULL,
    CONSTRAINT scale_job_type_name_version_uniq UNIQUE (name, version));
CREATE INDEX scale_job_type_name ON job_type (name);
CREATE INDEX scale_job_type_version ON job_type (version);
CREATE INDEX scale_job_type_category ON job_type (category);
CREATE INDEX scale_job_type_trigger_rule ON job_type (trigger_rule_id);

CREATE TABLE job_type_revision (
    id serial PRIMARY KEY,
    job_type_id integer NOT NULL REFERENCES job_type (id) DEFERRABLE INITIALLY DEFERRED,
    revision_num integer NOT NULL,
    interface json NOT NULL,
    created timestamp with time zone NOT NULL,
    CONSTRAINT scale_job_type_revision_uniq UNIQUE (job_type_id, revision_num));
CREATE INDEX scale_job_type_revision_job_type ON job_type_revision (job_type_id);

CREATE TABLE job (
    id serial PRIMARY KEY,
    job_type_id integer NOT NULL REFERENCES job_type (id) DEFERRABLE INITIALLY DEFERRED,
    job_type_rev_id integer NOT NULL REFERENCES job_type_revision (id) DEFERRABLE INITIALLY DEFERRED,
    status varchar(50) NOT NULL,
    event_id integer NOT NULL REFERENCES trigger_event (id) DEFERRABLE INITIALLY DEFERRED,
    error_id integer NULL REFERENCES error (id) DEFERRABLE INITIALLY DEFERRED,
    data json NOT NULL,
    results json NOT NULL,
    docker_params json NULL,
    priority integer NOT NULL,
    timeout integer NOT NULL,
    max_tries integer NOT NULL,
    num_exes integer NOT NULL,
    cpus_required double precision NULL,
    mem_required double precision NULL,
    disk_in_required double precision NULL,
    disk_out_required double precision NULL,
    is_superseded boolean NOT NULL,
    root_superseded_job_id integer NULL REFERENCES job (id) DEFERRABLE INITIALLY DEFERRED,
    superseded_job_id integer NULL UNIQUE REFERENCES job (id) DEFERRABLE INITIALLY DEFERRED,
    delete_superseded boolean NOT NULL,
    created timestamp with time zone NOT NULL,
    queued timestamp with time zone NULL,
    started timestamp with time zone NULL,
    ended timestamp with time zone NULL,
    last_status_change timestamp with time zone NULL,
    superseded timestamp with time zone NULL,
    last_modified timestamp with time zone NOT NULL);
CREATE INDEX scale_job_job_type ON job (job_type_id);
CREATE INDEX scale_job_job_type_rev ON job (job_type_rev_id);
CREATE INDEX scale_job_status ON job (status);
CREATE INDEX scale_job_event ON job (event_id);
CREATE INDEX scale_job_error ON job (error_id);
CREATE INDEX scale_job_root_superseded_job ON job (root_superseded_job_id);
CREATE INDEX scale_job_last_modified_job_type_status ON job (last_modified, job_type_id, status);

CREATE TABLE job_exe (
    id serial PRIMARY KEY,
    job_id integer NOT NULL REFERENCES job (id) DEFERRABLE INITIALLY DEFERRED,
    status varchar(50) NOT NULL,
    error_id integer NULL REFERENCES error (id) DEFERRABLE INITIALLY DEFERRED,
    command_arguments varchar(1000) NOT NULL,
    timeout integer NOT NULL,
    docker_params json NULL,
    node_id integer NULL REFERENCES node (id) DEFERRABLE INITIALLY DEFERRED,
    environment json NOT NULL,
    cpus_scheduled double precision NULL,
    mem_scheduled double precision NULL,
    disk_in_scheduled double precision NULL,
    disk_out_scheduled double precision NULL,
    disk_total_scheduled double precision NULL,
    requires_cleanup boolean NOT NULL,
    cleanup_job_id integer NULL REFERENCES job (id) DEFERRABLE INITIALLY DEFERRED,
    pre_task_id varchar(50) NULL,
    pre_started timestamp with time zone NULL,
    pre_completed timestamp with time zone NULL,
    pre_exit_code integer NULL,
    job_task_id varchar(50) NULL,
    job_started timestamp with time zone NULL,
    job_completed timestamp with time zone NULL,
    job_exit_code integer NULL,
    job_metrics json NULL,
    post_task_id varchar(50) NULL,
    post_started timestamp with time zone NULL,
    post_completed timestamp with time zone NULL,
    post_exit_code integer NULL,
    stdout text NULL,
    stderr text NULL,
    current_stdout_url varchar(600) NULL,
    current_stderr_url varchar(600) NULL,
    results_manifest json NOT NULL,
    results json NOT NULL,
    created timestamp with time zone NOT NULL,
    queued timestamp with time zone NOT NULL,
    started timestamp with time zone NULL,
    ended timestamp with time zone NULL,
    cleaned_up timestamp with time zone NULL,
    last_modified timestamp with time zone NOT NULL);
CREATE INDEX scale_job_exe_job ON job_exe (job_id);
CREATE INDEX scale_job_exe_status ON job_exe (status);
CREATE INDEX scale_job_exe_error ON job_exe (error_id);
CREATE INDEX scale_job_exe_node ON job_exe (node_id);
CREATE INDEX scale_job_exe_requires_cleanup ON job_exe (requires_cleanup);
CREATE INDEX scale_job_exe_cleanup_job ON job_exe (cleanup_job_id);
CREATE INDEX scale_job_exe_last_modified ON job_exe (last_modified);

-- Scale's migrations of these apps up to the release whose job_exe still held the logs (names from Scale's
-- repository); contenttypes and auth as any Django project of Scale's has them.
INSERT INTO django_migrations (app, name, applied) VALUES
    ('contenttypes', '0001_initial', now()), ('auth', '0001_initial', now()),
    ('contenttypes', '0002_remove_content_type_name', now()),
    ('error', '0001_initial', now()), ('error', '0002_auto_20151217_1319', now()),
    ('node', '0001_initial', now()), ('node', '0002_node_pause_reason', now()),
    ('node', '0003_node_is_paused_errors', now()),
    ('trigger', '0001_initial', now()),
    ('job', '0001_initial', now()), ('job', '0002_jobexecution_job_metrics', now()),
    ('job', '0003_auto_20151016_0849', now()), ('job', '0004_auto_20151020_1059', now()),
    ('job', '0005_auto_20151030_1402', now()), ('job', '0006_auto_20151106_1608', now()),
    ('job', '0007_job_job_type_rev', now()), ('job', '0008_jobtype_trigger_rule', now()),
    ('job', '0009_jobtype_revision_num', now()), ('job', '0010_auto_20151208_1503', now()),
    ('job', '0011_jobtype_max_scheduled', now()), ('job', '0012_auto_20160310_1318', now());
