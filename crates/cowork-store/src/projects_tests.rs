use std::path::PathBuf;

use cowork_protocol::{FolderGrant, PermissionMode};

use super::*;

fn notes() -> NewProject {
    NewProject {
        name: "Q4 Report".into(),
        instructions: "Use the house style.".into(),
        folders: vec![FolderGrant {
            path: PathBuf::from("/home/me/Reports"),
            read_only: true,
        }],
        links: vec!["https://example.com/brief".into()],
        mode: Some(PermissionMode::Ask),
        model: Some("claude-sonnet-4-6".into()),
    }
}

#[test]
fn a_project_reads_back_by_name_in_any_case_and_by_id() {
    let store = Store::open_in_memory().unwrap();
    let created = store.create_project(&notes()).unwrap();
    assert_eq!(created.id.len(), 12);
    assert_eq!(store.project("q4 report").unwrap(), created);
    assert_eq!(store.project(&created.id).unwrap(), created);
    assert!(matches!(
        store.project("Q5 Report"),
        Err(ProjectError::NotFound(name)) if name == "Q5 Report"
    ));
}

#[test]
fn names_are_unique_ignoring_case_and_checked() {
    let store = Store::open_in_memory().unwrap();
    store.create_project(&notes()).unwrap();
    let again = NewProject {
        name: "q4 REPORT".into(),
        ..NewProject::default()
    };
    assert!(matches!(
        store.create_project(&again),
        Err(ProjectError::NameTaken(_))
    ));
    for bad in ["", " padded", "--all", "tab\there", &"x".repeat(81)] {
        let new = NewProject {
            name: bad.to_owned(),
            ..NewProject::default()
        };
        assert!(
            matches!(
                store.create_project(&new),
                Err(ProjectError::BadName { .. })
            ),
            "{bad:?}"
        );
    }
}

#[test]
fn an_update_renames_and_archives_and_a_rename_onto_another_name_is_refused() {
    let store = Store::open_in_memory().unwrap();
    let report = store.create_project(&notes()).unwrap();
    let other = store
        .create_project(&NewProject {
            name: "Garden".into(),
            ..NewProject::default()
        })
        .unwrap();
    let renamed = store
        .update_project(&Project {
            name: "Annual Report".into(),
            archived_at: Some(1),
            ..report.clone()
        })
        .unwrap();
    assert_eq!(store.project(&report.id).unwrap().name, "Annual Report");
    assert_eq!(renamed.archived_at, Some(1));
    let names = |all| -> Vec<String> {
        store
            .list_projects(all)
            .unwrap()
            .into_iter()
            .map(|p| p.name)
            .collect()
    };
    assert_eq!(names(false), ["Garden"]);
    assert_eq!(names(true), ["Annual Report", "Garden"]);
    assert!(matches!(
        store.update_project(&Project {
            name: "annual report".into(),
            ..other
        }),
        Err(ProjectError::NameTaken(_))
    ));
}

#[test]
fn a_projects_tasks_are_those_whose_spec_names_it() {
    use cowork_protocol::{ModelChoice, Provider, TaskId, TaskSpec};
    let store = Store::open_in_memory().unwrap();
    let project = store.create_project(&notes()).unwrap();
    let spec = |project: Option<String>| TaskSpec {
        prompt: "p".into(),
        folders: vec![],
        model: ModelChoice {
            provider: Provider::Script,
            model: "script".into(),
            base_url: None,
            script: None,
        },
        budget: Default::default(),
        mode: Default::default(),
        project,
        rules: Vec::new(),
        connectors: None,
        schedule: None,
    };
    let owner = crate::Owner::current().unwrap();
    let inside = TaskId::new();
    store
        .create_task(&inside, &spec(Some(project.id.clone())), &owner)
        .unwrap();
    store
        .create_task(&TaskId::new(), &spec(None), &owner)
        .unwrap();
    let tasks = store.project_tasks(&project.id, 10).unwrap();
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].id, inside);
}
