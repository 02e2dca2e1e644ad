//! `cgtui lessons`: the lessons as a table or JSON, and `--try ID GUESS`, an exercise made
//! for real and graded against the kernel's answer.

use super::Hierarchy;
use crate::cli::{Global, LessonsArgs};
use crate::exercises::{Answers, Student};
use crate::lessons::Lesson;
use anyhow::{Context, Result, bail};
use serde::Serialize;

#[derive(Serialize)]
struct ExerciseRow<'a> {
    id: &'a str,
    question: &'a str,
    /// The write that is made, relative to the exercise's scene.
    attempt: String,
    needs_root: bool,
}

#[derive(Serialize)]
struct LessonRow<'a> {
    number: usize,
    id: &'a str,
    title: &'a str,
    languages: Vec<&'static str>,
    needs: &'static str,
    exercises: Vec<ExerciseRow<'a>>,
}

fn rows(lessons: &[Lesson]) -> Vec<LessonRow<'_>> {
    lessons
        .iter()
        .enumerate()
        .map(|(i, lesson)| LessonRow {
            number: i + 1,
            id: &lesson.id,
            title: &lesson.title,
            languages: crate::lessons::languages(&lesson.id),
            needs: lesson.needs.name(),
            exercises: lesson
                .exercises
                .iter()
                .map(|e| ExerciseRow {
                    id: &e.id,
                    question: &e.question,
                    attempt: e.attempt.to_string(),
                    needs_root: e.needs_root(),
                })
                .collect(),
        })
        .collect()
}

pub fn run(
    args: &LessonsArgs,
    global: &Global,
    hierarchy: impl FnOnce() -> Result<Hierarchy>,
) -> Result<i32> {
    if let Some(try_args) = &args.try_exercise {
        let [id, guess] = try_args.as_slice() else {
            bail!("--try takes an exercise id and your guess: --try c0-to-c1 EACCES");
        };
        return try_exercise(args, global, hierarchy()?, id, guess);
    }
    let lessons = crate::lessons::all();
    let rows = rows(&lessons);
    if args.json {
        out!(
            "{}",
            crate::output::json_line(&serde_json::json!({ "lessons": rows }))?
        );
        return Ok(0);
    }
    let title_width = rows
        .iter()
        .map(|r| crate::format::width(r.title))
        .max()
        .unwrap_or(5);
    out!(
        "{:>2}  {:<7}  {:<9}  {:<title_width$}  EXERCISES",
        "#",
        "NEEDS",
        "LANGUAGES",
        "TITLE"
    );
    for row in &rows {
        let exercises: Vec<&str> = row.exercises.iter().map(|e| e.id).collect();
        out!(
            "{:>2}  {:<7}  {:<9}  {}{}  {}",
            row.number,
            row.needs,
            row.languages.join(","),
            row.title,
            " ".repeat(title_width.saturating_sub(crate::format::width(row.title))),
            if exercises.is_empty() {
                "-".to_string()
            } else {
                exercises.join(", ")
            }
        );
    }
    Ok(0)
}

fn try_exercise(
    args: &LessonsArgs,
    global: &Global,
    hierarchy: Hierarchy,
    id: &str,
    guess: &str,
) -> Result<i32> {
    if global.read_only {
        bail!("read-only mode: an exercise makes real writes (started with --read-only)");
    }
    let fs = &hierarchy.fs;
    if fs.is_fixture() {
        bail!("a fixture is not a kernel: exercises need the real cgroup2 hierarchy");
    }
    let (lesson, exercise) = crate::lessons::exercise_by_id(id).with_context(|| {
        format!("no exercise {id:?}: `cgtui lessons` lists them (the EXERCISES column)")
    })?;
    // A guess that is no answer is refused before anything is made.
    crate::exercises::normalise_guess(guess)?;
    let root = rustix::process::geteuid().is_root();
    let (base, student) = if root {
        let student = Student::resolve(args.student.as_deref())?;
        if student.uid == 0 {
            bail!(
                "as root, name the student the write is made as: --student NAME (or run under sudo)"
            );
        }
        (fs.mount_point().to_path_buf(), student)
    } else {
        let inside = args.inside.as_ref().with_context(|| {
            "without root, name a cgroup of yours to set the exercise up in: --in PLAYGROUND \
             (press D in cgtui, or cgtui delegate)"
        })?;
        let cgroup = fs
            .resolve(inside)
            .with_context(|| format!("--in {}", crate::cgroup::escape::visible_path(inside)))?;
        (
            fs.mount_point().join(cgroup.as_path()),
            Student::resolve(Some(&rustix::process::geteuid().as_raw().to_string()))?,
        )
    };
    let kernel = crate::exercises::run(&base, &exercise, &student)?;
    let verdict = crate::exercises::grade(&exercise, guess, &kernel)?;
    let kept = crate::exercises::default_path()
        .and_then(|path| Answers::record(&path, verdict.clone()).map(|_| path));
    if args.json {
        out!("{}", crate::output::json_line(&verdict)?);
    } else {
        use crate::t;
        out!(
            "{}",
            t!(
                "exercise-heading",
                question = exercise.question,
                lesson = lesson.id
            )
        );
        out!(
            "  {}",
            t!(
                "exercise-attempt",
                attempt = exercise.attempt,
                student = student.name,
                uid = student.uid
            )
        );
        let mark = t!(if verdict.right {
            "exercise-right"
        } else {
            "exercise-wrong"
        });
        out!(
            "  {}",
            t!(
                "exercise-verdict",
                guess = verdict.guess,
                kernel = verdict.kernel,
                mark = mark
            )
        );
        out!("  {}", t!("exercise-why", rule = exercise.rule));
    }
    if let Err(e) = kept {
        errln!("cgtui: the answer was not kept: {e:#}");
    }
    Ok(if verdict.right { 0 } else { 1 })
}
