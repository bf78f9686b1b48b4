export const id = 246;
export const ids = [246];
export const modules = {

/***/ 2246:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   pullRequestNumber: () => (/* binding */ pullRequestNumber),
/* harmony export */   upsertPlanComment: () => (/* binding */ upsertPlanComment)
/* harmony export */ });
/* unused harmony export COMMENT_MARKER */
/* harmony import */ var _actions_github__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(2413);
// One pull request comment with the plan, updated in place on every run (found
// by a hidden marker), so a busy pull request does not collect a comment per push.

const COMMENT_MARKER = '<!-- airlift-sync plan -->';
/** Posts or updates the plan comment; returns how it went, never throws (a missing permission is not a failure). */
async function upsertPlanComment(target, markdown) {
    const octokit = (0,_actions_github__WEBPACK_IMPORTED_MODULE_0__/* .getOctokit */ .Q)(target.token, { baseUrl: target.apiUrl, request: { retries: 1 } });
    const body = `${COMMENT_MARKER}\n${markdown}`;
    const issue = { owner: target.owner, repo: target.repo, issue_number: target.number };
    try {
        const existing = await octokit.paginate(octokit.rest.issues.listComments, { ...issue, per_page: 100 });
        const mine = existing.find((comment) => comment.body?.startsWith(COMMENT_MARKER));
        if (mine) {
            await octokit.rest.issues.updateComment({ owner: target.owner, repo: target.repo, comment_id: mine.id, body });
            return { done: 'updated' };
        }
        await octokit.rest.issues.createComment({ ...issue, body });
        return { done: 'created' };
    }
    catch (error) {
        const status = error.status;
        const why = status === 403 || status === 404 ? 'the token lacks pull-requests: write (a pull request from a fork has a read-only token)' : `GitHub answered ${status ?? error.message}`;
        return { skipped: why };
    }
}
/** The pull request number of a pull_request event, if it is one. */
function pullRequestNumber(payload) {
    const number = payload?.pull_request?.number;
    return typeof number === 'number' ? number : undefined;
}


/***/ })

};
